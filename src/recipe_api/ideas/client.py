"""The reddit client: one ``aiohttp.ClientSession`` per worker, OAuth, rate-limit back-off, parsing.

Every way a listing can fail ends as an :class:`UpstreamError` whose message
is one sentence a user can act on ("r/easyrecipes is private").
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import functools
import html
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from recipe_api import observability
from recipe_api.http.outbound import SessionOnFirstUse
from recipe_api.settings import Settings

if TYPE_CHECKING:
    # Imported on the first call to reddit (http/outbound.py): ~9 MB a worker may never need.
    import aiohttp
    from yarl import URL

log = logging.getLogger(__name__)

# reddit's own rule for names is 3-21 characters; a few old subreddits have two.
SUBREDDIT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_]{1,20}"
_SUBREDDIT_RE = re.compile(SUBREDDIT_PATTERN)

# Stickied and over-18 posts are dropped after the fetch, so each listing asks
# for this many more than it shows. Each extra post is ~3 KB more to parse.
LISTING_HEADROOM = 3
MAX_BODY_BYTES = 8 * 1024 * 1024
PERMALINK_HOST = "https://www.reddit.com"
# A link we put in an href: http(s), a host, nothing a browser would strip or
# rewrite first (spaces, control characters: "java\tscript:" is javascript:).
_WEB_LINK = re.compile(r"https?://[^\s/?#\\\x00-\x1f\x7f]+[^\s\x00-\x1f\x7f]*", re.IGNORECASE)
# A 429 without a usable Retry-After or reset header: reddit's window is 600 s,
# a minute is a polite first wait.
DEFAULT_RATE_LIMIT_WAIT = 60.0
MAX_RATE_LIMIT_WAIT = 600.0
# Renew a token this long before reddit says it expires (at most a tenth of its life).
TOKEN_RENEW_MARGIN = 300.0
# After a failed token request, every source shares that failure for a few
# seconds rather than asking reddit again on each request.
TOKEN_FAILURE_HOLD = 5.0


class UpstreamError(Exception):
    """One source failed; ``message`` is the sentence shown to the user."""

    def __init__(self, message: str, outcome: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome  # the metrics label: timeout, unreachable, rate_limited, ...


def unique_subreddits(names: Iterable[str]) -> tuple[str, ...]:
    """The names in order without case-insensitive repeats; ``ValueError(name)`` for a bad one."""
    unique: dict[str, str] = {}
    for name in names:
        if _SUBREDDIT_RE.fullmatch(name) is None:
            raise ValueError(name)
        unique.setdefault(name.lower(), name)
    return tuple(unique.values())


@dataclass(frozen=True, slots=True)
class Post:
    title: str
    score: int
    url: str
    permalink: str
    author: str
    num_comments: int
    created_utc: float
    thumbnail: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    posts: tuple[Post, ...]
    fetched_at: float  # wall clock (time.time()): cached copies are shared by processes


@dataclass(frozen=True, slots=True)
class Answer:
    """An upstream answer read in full."""

    status: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    body: bytes = b""


# --- Rate limits --------------------------------------------------------------------------


def _seconds(value: str | None) -> float | None:
    """A Retry-After or reset header as seconds from now: a number, or an HTTP date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def backoff(answer: Answer) -> float | None:
    """Seconds to leave reddit alone after ``answer`` (a 429, or a spent budget); else ``None``."""
    headers = answer.headers
    wait = None
    if answer.status == 429:
        wait = _seconds(headers.get("retry-after"))
    else:
        try:
            if float(headers.get("x-ratelimit-remaining", 1)) >= 1:
                return None
        except ValueError:
            return None
        # The budget is spent: the next call would be a 429.
    if wait is None:
        wait = _seconds(headers.get("x-ratelimit-reset"))
    return min(DEFAULT_RATE_LIMIT_WAIT if wait is None else wait, MAX_RATE_LIMIT_WAIT)


# --- Reading answers ----------------------------------------------------------------------


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def read_token(answer: Answer) -> tuple[str, float]:
    """The token and its lifetime from an ``/api/v1/access_token`` answer."""
    status = answer.status
    if status == 401:
        raise UpstreamError(
            "reddit refused the app's OAuth credentials (401): "
            "check REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET",
            "oauth_refused",
        )
    if status == 429:
        raise UpstreamError("reddit rate-limited the OAuth token request (429)", "rate_limited")
    if status != 200:
        raise UpstreamError(f"reddit's OAuth token endpoint answered {status}", "oauth_error")
    payload = _json(answer.body)
    if not isinstance(payload, dict):
        raise UpstreamError(
            "reddit's OAuth token endpoint answered something that is not JSON", "oauth_error"
        )
    token = payload.get("access_token")
    if not isinstance(token, str) or not token:
        # reddit answers 200 {"error": "..."} for a bad grant.
        reason = payload.get("error") or "unexpected answer"
        raise UpstreamError(f"reddit gave no OAuth token ({reason})", "oauth_error")
    expires_in = payload.get("expires_in")
    if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
        expires_in = 3600.0
    return token, float(expires_in)


def _text(value: object, default: str = "") -> str:
    if not isinstance(value, str):
        return default
    # raw_json=1 should leave no entities; unescape anyway if reddit (or a proxy) sends some.
    return html.unescape(value) if "&" in value and ";" in value else value


def _number(value: object) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def web_link(value: str) -> str | None:
    """``value`` if it is an http(s) link, else None: upstream text must not become a
    ``javascript:`` or ``data:`` href on our pages (or in the API's answer, which
    other sites render)."""
    return value if _WEB_LINK.fullmatch(value) else None


def _post(data: dict[str, Any]) -> Post | None:
    title = data.get("title")
    permalink = data.get("permalink")
    if not isinstance(title, str) or not isinstance(permalink, str):
        return None
    permalink = _text(permalink)
    if permalink.startswith("/") and not permalink.startswith("//"):
        permalink = PERMALINK_HOST + permalink
    if web_link(permalink) is None:
        return None  # reddit always sends "/r/..."; a post without its page is not shown
    return Post(
        title=_text(title),
        score=int(_number(data.get("score"))),
        # The post itself when it links nowhere usable (text posts link to themselves).
        url=web_link(_text(data.get("url"))) or permalink,
        permalink=permalink,
        author=_text(data.get("author"), "[deleted]"),
        num_comments=int(_number(data.get("num_comments"))),
        created_utc=float(_number(data.get("created_utc"))),
        # reddit puts "self", "default", "nsfw", "spoiler" or "" here when there is no image.
        thumbnail=web_link(_text(data.get("thumbnail"))),
    )


def parse_listing(
    subreddit: str,
    payload: object,
    *,
    limit: int,
    include_stickied: bool = False,
    include_over_18: bool = False,
) -> tuple[Post, ...]:
    """The first ``limit`` posts of a decoded listing, by hand: no model for ~100 fields each."""
    data = payload.get("data") if isinstance(payload, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise UpstreamError(
            f"reddit answered r/{subreddit} with JSON of an unexpected shape (no data.children)",
            "invalid",
        )
    posts: list[Post] = []
    malformed = 0
    for child in children:
        post_data = child.get("data") if isinstance(child, dict) else None
        if not isinstance(post_data, dict) or child.get("kind") != "t3":
            malformed += 1
            continue
        if (post_data.get("stickied") and not include_stickied) or (
            post_data.get("over_18") and not include_over_18
        ):
            continue
        post = _post(post_data)
        if post is None:
            malformed += 1
            continue
        posts.append(post)
        if len(posts) >= limit:
            break
    if malformed and not posts:
        raise UpstreamError(
            f"reddit answered r/{subreddit} with JSON of an unexpected shape (no usable post)",
            "invalid",
        )
    return tuple(posts)


def _refusal(name: str, answer: Answer) -> str:
    """The sentence for a listing answered with anything but 200."""
    status = answer.status
    if status in (301, 302, 303, 307, 308):
        location = answer.headers.get("location", "")
        if "/subreddits/search" in location:
            return f"{name} does not exist"
        return f"reddit redirected {name} to {location or 'nowhere'}"
    payload = _json(answer.body) if status in (403, 404) else None
    reason = payload.get("reason") if isinstance(payload, dict) else None
    if status == 403:
        if reason in ("private", "quarantined"):
            return f"{name} is {reason}"
        if reason:
            return f"{name} is not accessible ({reason})"
        return (
            f"reddit blocked the request for {name} (403); anonymous access is "
            "throttled, set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"
        )
    if status == 404:
        return f"{name} is banned" if reason == "banned" else f"{name} was not found (404)"
    if status == 429:
        wait = _seconds(answer.headers.get("retry-after"))
        after = f"; retrying after {wait:.0f} s" if wait is not None else ""
        return f"reddit rate-limited the request for {name} (429){after}"
    if status == 401:
        return f"reddit refused the request for {name} (401 unauthorized)"
    if status >= 500:
        return f"reddit answered {name} with a server error ({status})"
    return f"reddit answered {name} with an unexpected status {status}"


def read_listing(
    subreddit: str, answer: Answer, *, limit: int, stickied: bool, over_18: bool
) -> Listing:
    """Posts from a listing answer, or the one sentence that says why there are none."""
    name = f"r/{subreddit}"
    if answer.status != 200:
        outcome = "rate_limited" if answer.status == 429 else f"http_{answer.status}"
        raise UpstreamError(_refusal(name, answer), outcome)
    body = answer.body
    if "html" in answer.headers.get("content-type", "") or body.lstrip()[:1] == b"<":
        raise UpstreamError(f"reddit answered {name} with an HTML page instead of JSON", "invalid")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamError(
            f"reddit answered {name} with a body that is not JSON", "invalid"
        ) from None
    posts = parse_listing(
        subreddit, payload, limit=limit, include_stickied=stickied, include_over_18=over_18
    )
    return Listing(posts=posts, fetched_at=time.time())


# --- The client ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _listing_url(template: str, subreddit: str, fetch: int) -> URL:
    # Built once: aiohttp reads a URL's parts on each request, and yarl caches them per URL.
    from yarl import URL

    return URL(template.format(subreddit, fetch))


def open_http_client(settings: Settings, *, max_connections: int) -> SessionOnFirstUse:
    """The worker's one HTTP client: reddit's User-Agent form, no cookie jar, keep-alive pool.

    Made on the first call to reddit; the caller closes it (``aclose``).
    """
    return SessionOnFirstUse(lambda: _new_http_client(settings, max_connections))


def _new_http_client(settings: Settings, max_connections: int) -> aiohttp.ClientSession:
    import aiohttp

    return aiohttp.ClientSession(
        headers={"User-Agent": settings.reddit_user_agent},
        # reddit sets tracking cookies an application-only client has no use for,
        # and this one client serves every user's requests.
        cookie_jar=aiohttp.DummyCookieJar(),
        connector=aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=30),
        # No total timeout: the service gives up on a call at its deadline (one
        # timer for all the sources of a request, rather than one per call).
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(2.0, settings.ideas_deadline)),
    )


def _basic_auth(login: str, password: str) -> str:
    """An ``Authorization`` header's Basic value, as ``aiohttp.encode_basic_auth`` makes it."""
    if ":" in login:
        raise ValueError('A ":" is not allowed in login (RFC 7617#section-2)')
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


class RedditClient:
    """Top posts of a subreddit over the worker's shared ``aiohttp.ClientSession``."""

    def __init__(self, http: SessionOnFirstUse, settings: Settings) -> None:
        self._http = http
        self._timeout = settings.ideas_deadline
        self._stickied = settings.ideas_include_stickied
        self._over_18 = settings.ideas_include_over_18
        base = settings.reddit_base_url.rstrip("/")
        self._token_url = f"{base}/api/v1/access_token"
        self._listings = base + "/r/{}/top.json?t=day&limit={}&raw_json=1"
        self._credentials: str | None = None  # the Authorization header of a token request
        if settings.reddit_client_id and settings.reddit_client_secret:
            id_and_secret = (settings.reddit_client_id, settings.reddit_client_secret)
            self._credentials = _basic_auth(*id_and_secret)
            oauth = settings.reddit_oauth_url.rstrip("/")
            self._listings = oauth + "/r/{}/top?t=day&limit={}&raw_json=1"
        self._blocked_until = 0.0  # monotonic: reddit asked us to wait until then
        # The token, or why there is none, and until when that holds (monotonic).
        self._token: tuple[str | UpstreamError, float] = ("", 0.0)
        self._token_lock = asyncio.Lock()
        # Metrics label subreddits by name only for the configured ones: a request
        # may name any subreddit, and each label value is a series kept forever.
        self._known = {name.lower() for name in settings.ideas_subreddits}

    async def fetch_top(self, subreddit: str, limit: int) -> Listing:
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await self._fetch_top(subreddit, limit)
        except UpstreamError as error:
            outcome = error.outcome
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            label = subreddit.lower() if subreddit.lower() in self._known else "other"
            observability.upstream_call(label, outcome, time.perf_counter() - started)

    async def _fetch_top(self, subreddit: str, limit: int) -> Listing:
        name = f"r/{subreddit}"
        wait = self._blocked_until - time.monotonic()
        if wait > 0:
            raise UpstreamError(
                f"{name} was not fetched: reddit asked us to wait, next try in {wait:.0f} s",
                "backing_off",
            )
        url = _listing_url(self._listings, subreddit, min(100, limit + LISTING_HEADROOM))
        token = await self._current_token(name) if self._credentials else None
        answer = await self._get_listing(name, url, token)
        if token is not None and answer.status == 401:
            # Revoked or expired early: renew once, then give up.
            if self._token[0] == token:
                self._token = (token, 0.0)
            answer = await self._get_listing(name, url, await self._current_token(name))
        return read_listing(
            subreddit, answer, limit=limit, stickied=self._stickied, over_18=self._over_18
        )

    async def _get_listing(self, name: str, url: URL, token: str | None) -> Answer:
        headers = {"Authorization": f"bearer {token}"} if token else None
        answer = await self._send(name, "GET", url, headers=headers)
        wait = backoff(answer)
        if wait is not None and time.monotonic() + wait > self._blocked_until:
            self._blocked_until = time.monotonic() + wait
            log.warning("reddit rate limit: not calling it for %.0f s", wait)
        return answer

    async def _current_token(self, name: str) -> str:
        # One request renews the token; the sources that arrive meanwhile wait for it.
        # A failed request is shared the same way, for TOKEN_FAILURE_HOLD seconds.
        async with self._token_lock:
            if time.monotonic() >= self._token[1]:
                try:
                    value, expires_in = read_token(
                        await self._send(
                            "reddit's OAuth token",
                            "POST",
                            self._token_url,
                            headers={"Authorization": self._credentials},
                            data={"grant_type": "client_credentials"},
                        )
                    )
                    margin = min(TOKEN_RENEW_MARGIN, expires_in / 10)
                    self._token = (value, time.monotonic() + expires_in - margin)
                except UpstreamError as failure:
                    self._token = (failure, time.monotonic() + TOKEN_FAILURE_HOLD)
            token = self._token[0]
        if isinstance(token, UpstreamError):
            raise UpstreamError(f"{name} was not fetched: {token.message}", token.outcome)
        return token

    async def _send(self, what: str, method: str, url: str | URL, **options: Any) -> Answer:
        """The answer read in full, refused past ``MAX_BODY_BYTES`` (100 posts are ~300 KB)."""
        import aiohttp

        try:
            async with self._http().request(
                method, url, allow_redirects=False, **options
            ) as response:
                body = bytearray()
                async for chunk in response.content.iter_any():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise aiohttp.ClientPayloadError("the answer is larger than 8 MiB")
                return Answer(response.status, response.headers, bytes(body))
        except TimeoutError as exc:
            raise UpstreamError(f"{what} timed out after {self._timeout:.1f} s", "timeout") from exc
        except aiohttp.ClientConnectorError as exc:
            host = exc.host if exc.port in (80, 443) else f"{exc.host}:{exc.port}"
            message = f"{what} could not be fetched: cannot connect to {host}"
            raise UpstreamError(message, "unreachable") from exc
        except aiohttp.ClientError as exc:
            message = f"{what} could not be fetched: {type(exc).__name__}"
            raise UpstreamError(message, "unreachable") from exc
