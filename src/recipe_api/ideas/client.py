"""The reddit client: listing URLs, application-only OAuth, rate-limit back-off, parsing.

Every way a listing can fail ends as an :class:`UpstreamError` whose message
is one sentence a user can act on ("r/easyrecipes is private"). The async
:class:`RedditClient` serves the concurrent fan-out; :class:`SyncRedditClient`
serves the sequential baseline endpoint. Both share the request building, the
classification of answers, the token and the rate-limit state.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from recipe_api.settings import Settings

log = logging.getLogger(__name__)

# reddit's own rule for names is 3-21 characters; a few old subreddits have two.
SUBREDDIT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_]{1,20}"
_SUBREDDIT_RE = re.compile(SUBREDDIT_PATTERN)

# Stickied and over-18 posts are dropped after the fetch, so each listing asks
# for this many more than it shows. Each extra post is ~3 KB more to parse.
LISTING_HEADROOM = 3
MAX_LISTING_LIMIT = 100

PERMALINK_HOST = "https://www.reddit.com"
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
    """One source failed; ``str(error)`` is the sentence shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_valid_subreddit(name: str) -> bool:
    return _SUBREDDIT_RE.fullmatch(name) is not None


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
class RedditConfig:
    base_url: str
    oauth_url: str
    user_agent: str
    client_id: str | None
    client_secret: str | None
    include_stickied: bool
    include_over_18: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> RedditConfig:
        return cls(
            base_url=settings.reddit_base_url.rstrip("/"),
            oauth_url=settings.reddit_oauth_url.rstrip("/"),
            user_agent=settings.reddit_user_agent,
            client_id=settings.reddit_client_id or None,
            client_secret=settings.reddit_client_secret or None,
            include_stickied=settings.ideas_include_stickied,
            include_over_18=settings.ideas_include_over_18,
        )

    @property
    def uses_oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/v1/access_token"

    def listing_url(self, subreddit: str, limit: int) -> str:
        fetch = min(MAX_LISTING_LIMIT, limit + LISTING_HEADROOM)
        if self.uses_oauth:
            return f"{self.oauth_url}/r/{subreddit}/top?t=day&limit={fetch}&raw_json=1"
        return f"{self.base_url}/r/{subreddit}/top.json?t=day&limit={fetch}&raw_json=1"

    @property
    def listing_host(self) -> str:
        return httpx.URL(self.oauth_url if self.uses_oauth else self.base_url).netloc.decode()


# --- Rate limits --------------------------------------------------------------------------


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


class RateLimits:
    """When each host may be asked again, from 429s and the ``x-ratelimit-*`` headers.

    Shared by the event loop and the threadpool: each update is one dict
    assignment, atomic under the GIL, and a lost race only costs one call.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._blocked_until: dict[str, float] = {}

    def wait_for(self, host: str) -> float:
        """Seconds until ``host`` may be called again; 0 when it may be called now."""
        until = self._blocked_until.get(host)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            self._blocked_until.pop(host, None)
            return 0.0
        return left

    def observe(self, host: str, response: httpx.Response) -> None:
        headers = response.headers
        if response.status_code == 429:
            wait = _seconds(headers.get("retry-after"))
            if wait is None:
                wait = _seconds(headers.get("x-ratelimit-reset"))
            if wait is None:
                wait = DEFAULT_RATE_LIMIT_WAIT
        else:
            remaining = headers.get("x-ratelimit-remaining")
            if remaining is None:
                return
            try:
                if float(remaining) >= 1:
                    return
            except ValueError:
                return
            # The budget is spent: the next call would be a 429.
            wait = _seconds(headers.get("x-ratelimit-reset"))
            if wait is None:
                wait = DEFAULT_RATE_LIMIT_WAIT
        until = self._clock() + min(wait, MAX_RATE_LIMIT_WAIT)
        if until > self._blocked_until.get(host, 0.0):
            self._blocked_until[host] = until
            log.warning("reddit rate limit: not calling %s for %.0f s", host, wait)


# --- OAuth tokens -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    renew_at: float  # monotonic


class TokenStore:
    """The current application-only token (or the last failure), shared by both clients."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._token: _Token | None = None
        self._failure: tuple[UpstreamError, float] | None = None

    def current(self) -> str | None:
        token = self._token
        if token is not None and self.clock() < token.renew_at:
            return token.value
        return None

    def recent_failure(self) -> UpstreamError | None:
        failure = self._failure
        if failure is not None and self.clock() < failure[1]:
            return failure[0]
        return None

    def store(self, value: str, expires_in: float) -> None:
        margin = min(TOKEN_RENEW_MARGIN, expires_in / 10)
        self._token = _Token(value, self.clock() + expires_in - margin)
        self._failure = None

    def fail(self, error: UpstreamError) -> None:
        self._failure = (error, self.clock() + TOKEN_FAILURE_HOLD)

    def discard(self, value: str) -> None:
        """Forget ``value`` after a 401, unless another caller has renewed it already."""
        token = self._token
        if token is not None and token.value == value:
            self._token = None


def read_token(response: httpx.Response) -> tuple[str, float]:
    """The token and its lifetime from an ``/api/v1/access_token`` answer."""
    status = response.status_code
    if status == 401:
        raise UpstreamError(
            "reddit refused the app's OAuth credentials (401): "
            "check REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"
        )
    if status == 429:
        raise UpstreamError("reddit rate-limited the OAuth token request (429)")
    if status != 200:
        raise UpstreamError(f"reddit's OAuth token endpoint answered {status}")
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise UpstreamError(
            "reddit's OAuth token endpoint answered something that is not JSON"
        ) from None
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        # reddit answers 200 {"error": "..."} for a bad grant.
        reason = payload.get("error") if isinstance(payload, dict) else None
        raise UpstreamError(f"reddit gave no OAuth token ({reason or 'unexpected answer'})")
    expires_in = payload.get("expires_in")
    if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
        expires_in = 3600.0
    return token, float(expires_in)


# --- Answers ------------------------------------------------------------------------------


def _text(value: object, default: str = "") -> str:
    if not isinstance(value, str):
        return default
    # raw_json=1 should leave no entities; unescape anyway if reddit (or a proxy) sends some.
    return html.unescape(value) if "&" in value and ";" in value else value


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return 0


def _post(data: dict[str, Any]) -> Post | None:
    title = data.get("title")
    permalink = data.get("permalink")
    if not isinstance(title, str) or not isinstance(permalink, str):
        return None
    permalink = _text(permalink)
    if permalink.startswith("/"):
        permalink = PERMALINK_HOST + permalink
    thumbnail = _text(data.get("thumbnail"))
    return Post(
        title=_text(title),
        score=int(_number(data.get("score"))),
        url=_text(data.get("url"), permalink) or permalink,
        permalink=permalink,
        author=_text(data.get("author"), "[deleted]"),
        num_comments=int(_number(data.get("num_comments"))),
        created_utc=float(_number(data.get("created_utc"))),
        # reddit puts "self", "default", "nsfw", "spoiler" or "" here when there is no image.
        thumbnail=thumbnail if thumbnail.startswith(("https://", "http://")) else None,
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
            f"reddit answered r/{subreddit} with JSON of an unexpected shape (no data.children)"
        )
    posts: list[Post] = []
    malformed = 0
    for child in children:
        post_data = child.get("data") if isinstance(child, dict) else None
        if not isinstance(post_data, dict) or child.get("kind") != "t3":
            malformed += 1
            continue
        if post_data.get("stickied") and not include_stickied:
            continue
        if post_data.get("over_18") and not include_over_18:
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
            f"reddit answered r/{subreddit} with JSON of an unexpected shape (no usable post)"
        )
    return tuple(posts)


def _reason(response: httpx.Response) -> str | None:
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    reason = payload.get("reason") if isinstance(payload, dict) else None
    return reason if isinstance(reason, str) else None


def _is_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("content-type", ""):
        return True
    return response.content.lstrip()[:1] == b"<"


def read_listing(
    subreddit: str, response: httpx.Response, *, limit: int, config: RedditConfig
) -> Listing:
    """Posts from a listing answer, or the one sentence that says why there are none."""
    status = response.status_code
    name = f"r/{subreddit}"
    if status == 200:
        if _is_html(response):
            raise UpstreamError(f"reddit answered {name} with an HTML page instead of JSON")
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise UpstreamError(f"reddit answered {name} with a body that is not JSON") from None
        posts = parse_listing(
            subreddit,
            payload,
            limit=limit,
            include_stickied=config.include_stickied,
            include_over_18=config.include_over_18,
        )
        return Listing(posts=posts, fetched_at=time.time())
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("location", "")
        if "/subreddits/search" in location:
            raise UpstreamError(f"{name} does not exist")
        raise UpstreamError(f"reddit redirected {name} to {location or 'nowhere'}")
    if status == 403:
        reason = _reason(response)
        if reason == "private":
            raise UpstreamError(f"{name} is private")
        if reason == "quarantined":
            raise UpstreamError(f"{name} is quarantined")
        if reason:
            raise UpstreamError(f"{name} is not accessible ({reason})")
        raise UpstreamError(
            f"reddit blocked the request for {name} (403); anonymous access is "
            "throttled, set REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"
        )
    if status == 404:
        if _reason(response) == "banned":
            raise UpstreamError(f"{name} is banned")
        raise UpstreamError(f"{name} was not found (404)")
    if status == 429:
        wait = _seconds(response.headers.get("retry-after"))
        after = f"; retrying after {wait:.0f} s" if wait is not None else ""
        raise UpstreamError(f"reddit rate-limited the request for {name} (429){after}")
    if status == 401:
        raise UpstreamError(f"reddit refused the request for {name} (401 unauthorized)")
    if status >= 500:
        raise UpstreamError(f"reddit answered {name} with a server error ({status})")
    raise UpstreamError(f"reddit answered {name} with an unexpected status {status}")


def _transport_error(subreddit: str, exc: httpx.HTTPError, timeout: float) -> UpstreamError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError(f"r/{subreddit} timed out after {timeout:.1f} s")
    if isinstance(exc, httpx.ConnectError):
        host = exc.request.url.netloc.decode() if _has_request(exc) else "reddit"
        return UpstreamError(f"r/{subreddit} could not be fetched: cannot connect to {host}")
    return UpstreamError(f"r/{subreddit} could not be fetched: {type(exc).__name__}")


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018
    except RuntimeError:
        return False
    return True


def _blocked(subreddit: str, wait: float) -> UpstreamError:
    return UpstreamError(
        f"r/{subreddit} was not fetched: reddit asked us to wait, next try in {wait:.0f} s"
    )


def _token_failure(subreddit: str, error: UpstreamError) -> UpstreamError:
    return UpstreamError(f"r/{subreddit} was not fetched: {error.message}")


# --- The clients --------------------------------------------------------------------------


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class CookielessAsyncClient(httpx.AsyncClient):
    """httpx's client without a cookie jar.

    reddit sets tracking cookies that an application-only client has no use
    for, and this one client serves every user's requests. httpx offers no
    switch: storing each answer's cookies (none, here) costs ~7% of the
    worker's CPU under the fan-out, mostly building a urllib request per answer.
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


class CookielessClient(httpx.Client):
    """The same for the sequential endpoint's client."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


_NO_COOKIES = _NoCookies()


def client_options(config: RedditConfig) -> dict[str, Any]:
    """What both httpx clients share: reddit's User-Agent form, no redirects followed."""
    # A redirect is an answer here (302 to /subreddits/search: no such subreddit).
    return {"headers": {"User-Agent": config.user_agent}, "follow_redirects": False}


MAX_CACHED_URLS = 1024


class _ListingUrls:
    """Parsed listing URLs by subreddit and limit: parsing one costs ~40 µs per request."""

    def __init__(self, config: RedditConfig) -> None:
        self._config = config
        self._urls: dict[tuple[str, int], httpx.URL] = {}

    def get(self, subreddit: str, limit: int) -> httpx.URL:
        url = self._urls.get((subreddit, limit))
        if url is None:
            if len(self._urls) >= MAX_CACHED_URLS:
                self._urls.clear()
            url = httpx.URL(self._config.listing_url(subreddit, limit))
            self._urls[subreddit, limit] = url
        return url


def _token_request(config: RedditConfig) -> dict[str, Any]:
    """reddit's application-only grant: basic auth with the app's id and secret."""
    assert config.client_id and config.client_secret
    return {
        "url": config.token_url,
        "auth": (config.client_id, config.client_secret),
        "data": {"grant_type": "client_credentials"},
    }


def _token_unreachable(exc: httpx.HTTPError) -> UpstreamError:
    return UpstreamError(
        f"reddit's OAuth token endpoint could not be reached ({type(exc).__name__})"
    )


class RedditClient:
    """Top posts of a subreddit over the worker's shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: RedditConfig,
        *,
        timeout: float,
        rate_limits: RateLimits,
        tokens: TokenStore,
    ) -> None:
        self._http = http
        self._config = config
        self._timeout = timeout
        self._rate_limits = rate_limits
        self._tokens = tokens
        self._token_lock = asyncio.Lock()
        self._host = config.listing_host
        self._urls = _ListingUrls(config)

    async def fetch_top(self, subreddit: str, limit: int) -> Listing:
        wait = self._rate_limits.wait_for(self._host)
        if wait:
            raise _blocked(subreddit, wait)
        url = self._urls.get(subreddit, limit)
        if not self._config.uses_oauth:
            response = await self._get(subreddit, url, None)
        else:
            token = await self._token(subreddit)
            response = await self._get(subreddit, url, token)
            if response.status_code == 401:
                # Revoked or expired early: renew once, then give up.
                self._tokens.discard(token)
                token = await self._token(subreddit)
                response = await self._get(subreddit, url, token)
        return read_listing(subreddit, response, limit=limit, config=self._config)

    async def _get(self, subreddit: str, url: httpx.URL, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"bearer {token}"} if token else None
        try:
            response = await self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise _transport_error(subreddit, exc, self._timeout) from exc
        self._rate_limits.observe(self._host, response)
        return response

    async def _token(self, subreddit: str) -> str:
        token = self._tokens.current()
        if token is not None:
            return token
        # One request renews the token; the sources that arrive meanwhile wait for it.
        async with self._token_lock:
            token = self._tokens.current()
            if token is not None:
                return token
            failure = self._tokens.recent_failure()
            if failure is not None:
                raise _token_failure(subreddit, failure)
            try:
                token = await self._fetch_token()
            except UpstreamError as error:
                self._tokens.fail(error)
                raise _token_failure(subreddit, error) from None
            return token

    async def _fetch_token(self) -> str:
        try:
            response = await self._http.post(**_token_request(self._config))
        except httpx.HTTPError as exc:
            raise _token_unreachable(exc) from exc
        value, expires_in = read_token(response)
        self._tokens.store(value, expires_in)
        return value


class SyncRedditClient:
    """The same requests over a shared ``httpx.Client``, for the sequential endpoint."""

    def __init__(
        self,
        http: httpx.Client,
        config: RedditConfig,
        *,
        rate_limits: RateLimits,
        tokens: TokenStore,
    ) -> None:
        self._http = http
        self._config = config
        self._rate_limits = rate_limits
        self._tokens = tokens
        self._token_lock = threading.Lock()
        self._host = config.listing_host

    def fetch_top(self, subreddit: str, limit: int, *, timeout: float) -> Listing:
        wait = self._rate_limits.wait_for(self._host)
        if wait:
            raise _blocked(subreddit, wait)
        url = self._config.listing_url(subreddit, limit)
        if not self._config.uses_oauth:
            response = self._get(subreddit, url, None, timeout)
        else:
            token = self._token(subreddit, timeout)
            response = self._get(subreddit, url, token, timeout)
            if response.status_code == 401:
                self._tokens.discard(token)
                token = self._token(subreddit, timeout)
                response = self._get(subreddit, url, token, timeout)
        return read_listing(subreddit, response, limit=limit, config=self._config)

    def _get(self, subreddit: str, url: str, token: str | None, timeout: float) -> httpx.Response:
        headers = {"Authorization": f"bearer {token}"} if token else None
        try:
            response = self._http.get(url, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise _transport_error(subreddit, exc, timeout) from exc
        self._rate_limits.observe(self._host, response)
        return response

    def _token(self, subreddit: str, timeout: float) -> str:
        token = self._tokens.current()
        if token is not None:
            return token
        with self._token_lock:
            token = self._tokens.current()
            if token is not None:
                return token
            failure = self._tokens.recent_failure()
            if failure is not None:
                raise _token_failure(subreddit, failure)
            try:
                response = self._http.post(**_token_request(self._config), timeout=timeout)
                value, expires_in = read_token(response)
            except httpx.HTTPError as exc:
                error = _token_unreachable(exc)
                self._tokens.fail(error)
                raise _token_failure(subreddit, error) from exc
            except UpstreamError as error:
                self._tokens.fail(error)
                raise _token_failure(subreddit, error) from None
            self._tokens.store(value, expires_in)
            return value
