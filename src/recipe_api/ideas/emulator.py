"""A reddit stand-in: the listing and token endpoints, rate-limit headers, and every failure.

``recipe-api fake-reddit --port 9009 --latency 0.2`` serves it; the tests run
it on a loop in a thread (:func:`running_fake_reddit`), the benchmark in a
process of its own. It serves both of reddit's hosts:
anonymous listings (``/r/{sub}/top.json``), the token endpoint
(``POST /api/v1/access_token``) and OAuth listings (``/r/{sub}/top``, bearer
token required), in reddit's exact JSON shape.

The subreddit's name chooses the answer (prefixes, any case):

=================  ==============================================================
``private_``       403 ``{"reason": "private"}``
``quarantined_``   403 ``{"reason": "quarantined"}``
``blocked_``       403 with an HTML page (what anonymous clients often get today)
``banned_``        404 ``{"reason": "banned"}``
``missing_``       302 to ``/subreddits/search.json?q=<name>`` (no such subreddit)
``ratelimited_``   429 with ``Retry-After`` and ``x-ratelimit-*`` headers
``error_``         500 with a JSON body
``unavailable_``   503 with an HTML page
``html_``          200 ``text/html``
``garbage_``       200 ``application/json`` that is not JSON
``weird_``         200 JSON of another shape (a subreddit's about page)
``empty_``         an empty listing
``escaped_``       titles with HTML entities even under ``raw_json=1``
``slow_``          ``slow_seconds`` more than the latency
``hang_``          no answer until the client gives up
=================  ==============================================================

Every other name gets a listing whose first post is stickied and third is
over-18, so filtering is exercised. Without ``raw_json=1`` strings come
HTML-escaped, as reddit sends them. A User-Agent is required, and a client
secret starting with ``invalid`` is refused.

Control endpoints (also methods of :class:`FakeReddit`): ``GET /_emulator/stats``,
``POST /_emulator/reset``, ``POST /_emulator/expire-tokens``,
``POST /_emulator/config?latency=&token_ttl=&retry_after=&budget=&window=``,
``POST /_emulator/break?sub=&status=``, ``POST /_emulator/repair?sub=``,
``PUT /_emulator/listing/{sub}`` (serve this body as the sub's listing).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import html
import re
import secrets
import socket
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, quote

import httptools
import orjson

_LISTING_PATH = re.compile(r"/r/([^/]+)/top(\.json)?/?")
_JSON = b"application/json; charset=UTF-8"
_HTML = b"text/html; charset=UTF-8"
MAX_CACHED_BODIES = 4096

_BLOCKED_PAGE = (
    b"<!doctype html><html><head><title>Blocked</title></head><body>"
    b"<h1>whoa there, pardner!</h1><p>Your request has been blocked due to a network "
    b"policy. Try logging in or creating an account here to get back to browsing.</p>"
    b"</body></html>"
)
_BUSY_PAGE = (
    b"<!doctype html><html><head><title>reddit.com: over capacity</title></head><body>"
    b"<h1>all of our servers are busy right now</h1><p>please try again in a minute</p>"
    b"</body></html>"
)

# The fields of a real post (see tests' recorded listings) that the client
# ignores but a real answer carries: they make parsing cost what it costs.
_POST_TEMPLATE: dict[str, Any] = {
    "approved_at_utc": None,
    "saved": False,
    "mod_reason_title": None,
    "gilded": 0,
    "clicked": False,
    "link_flair_richtext": [],
    "hidden": False,
    "pwls": 6,
    "link_flair_css_class": None,
    "downs": 0,
    "top_awarded_type": None,
    "hide_score": False,
    "quarantine": False,
    "link_flair_text_color": "dark",
    "author_flair_background_color": None,
    "subreddit_type": "public",
    "total_awards_received": 0,
    "media_embed": {},
    "author_flair_template_id": None,
    "is_original_content": False,
    "user_reports": [],
    "secure_media": None,
    "is_reddit_media_domain": True,
    "is_meta": False,
    "category": None,
    "secure_media_embed": {},
    "link_flair_text": None,
    "can_mod_post": False,
    "approved_by": None,
    "is_created_from_ads_ui": False,
    "author_premium": False,
    "edited": False,
    "author_flair_css_class": None,
    "author_flair_richtext": [],
    "gildings": {},
    "content_categories": None,
    "mod_note": None,
    "link_flair_type": "text",
    "wls": 6,
    "removed_by_category": None,
    "banned_by": None,
    "author_flair_type": "text",
    "allow_live_comments": False,
    "likes": None,
    "suggested_sort": "confidence",
    "banned_at_utc": None,
    "view_count": None,
    "archived": False,
    "no_follow": False,
    "is_crosspostable": True,
    "all_awardings": [],
    "awarders": [],
    "media_only": False,
    "can_gild": False,
    "spoiler": False,
    "locked": False,
    "author_flair_text": None,
    "treatment_tags": [],
    "visited": False,
    "removed_by": None,
    "num_reports": None,
    "author_is_blocked": False,
    "mod_reason_by": None,
    "removal_reason": None,
    "link_flair_background_color": "",
    "is_robot_indexable": True,
    "report_reasons": None,
    "discussion_type": None,
    "send_replies": True,
    "contest_mode": False,
    "mod_reports": [],
    "author_patreon_flair": False,
    "author_flair_text_color": None,
    "num_crossposts": 0,
    "media": None,
    "is_video": False,
}

_TITLES = [
    "Crispy chickpea & spinach curry in 25 minutes",
    'My grandmother\'s "secret" apple pie',
    "One-pan lemon garlic chicken thighs",
    "Homemade ramen: broth, tare & noodles from scratch",
    "Copycat Olive Garden breadsticks",
    "Miso-glazed salmon <3",
    "Three-ingredient peanut butter cookies",
    "Slow cooker beef & Guinness stew",
    "Shakshuka for two",
    "Fluffy Japanese soufflé pancakes",
    "Copycat Chick-fil-A sauce",
    "Weeknight black bean tacos",
    "Sourdough focaccia with rosemary & sea salt",
    "Thai green curry (not too spicy)",
    "Crème brûlée without a torch",
]
_SELFTEXT = (
    "Ingredients:\n\n* 2 cups flour\n* 1 tsp salt & a pinch of sugar\n* 300 ml water\n\n"
    "Method: mix, rest 30 minutes, shape, bake at 220 °C for 20 minutes. "
    "The trick is a very hot oven <and> patience. Enjoy!"
)
_SELFTEXT_HTML = (
    f'<!-- SC_OFF --><div class="md"><p>{html.escape(_SELFTEXT)}</p></div><!-- SC_ON -->'
)


def _post_data(subreddit: str, index: int, *, escaped: bool) -> dict[str, Any]:
    seed = zlib.crc32(subreddit.lower().encode())
    post_id = f"{(seed + index * 7919) % 36**6:06x}"[:7]
    title = _TITLES[(seed + index) % len(_TITLES)]
    stickied = index == 0
    over_18 = index == 2
    if stickied:
        title = f"Weekly r/{subreddit} thread: what are you cooking this week?"
    elif over_18:
        title = f"NSFW: {title}"
    if escaped:
        title = html.escape(title, quote=False)
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40]
    permalink = f"/r/{subreddit}/comments/{post_id}/{slug}/"
    is_self = index % 3 != 1
    created = 1_776_000_000.0 + (seed % 50_000) - index * 1_800
    score = max(1, 9_000 - index * 613 + seed % 97)
    data = dict(_POST_TEMPLATE)
    data.update(
        {
            "subreddit": subreddit,
            "selftext": _SELFTEXT if is_self else "",
            "selftext_html": _SELFTEXT_HTML if is_self else None,
            "author_fullname": f"t2_{post_id}",
            "title": title,
            "subreddit_name_prefixed": f"r/{subreddit}",
            "name": f"t3_{post_id}",
            "upvote_ratio": 0.97,
            "ups": score,
            "score": score,
            "thumbnail": (
                "nsfw"
                if over_18
                else "self"
                if is_self
                else f"https://b.thumbs.redditmedia.com/{post_id}.jpg?width=140&height=140"
            ),
            "thumbnail_width": None if is_self else 140,
            "thumbnail_height": None if is_self else 140,
            "is_self": is_self,
            "created": created,
            "domain": f"self.{subreddit}" if is_self else "i.redd.it",
            "pinned": False,
            "over_18": over_18,
            "subreddit_id": f"t5_{seed % 36**5:x}",
            "id": post_id,
            "author": "AutoModerator" if stickied else f"cook_{(seed + index) % 997}",
            "num_comments": (seed + index * 31) % 400,
            "permalink": permalink,
            "stickied": stickied,
            "distinguished": "moderator" if stickied else None,
            "url": (
                f"https://www.reddit.com{permalink}"
                if is_self
                else f"https://i.redd.it/{post_id}.jpeg"
            ),
            "subreddit_subscribers": 3_500_000 + seed % 100_000,
            "created_utc": created,
        }
    )
    return data


def _escape_strings(value: Any) -> Any:
    """What reddit sends without ``raw_json=1``: every string HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, dict):
        return {k: _escape_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_strings(v) for v in value]
    return value


def listing_body(subreddit: str, limit: int, *, raw_json: bool = True) -> bytes:
    """A ``top`` listing of ``limit`` posts, as reddit serialises it."""
    if subreddit.lower().startswith("empty_"):
        children: list[dict[str, Any]] = []
    else:
        escaped = subreddit.lower().startswith("escaped_")
        children = [
            {"kind": "t3", "data": _post_data(subreddit, i, escaped=escaped)} for i in range(limit)
        ]
    after = children[-1]["data"]["name"] if children else None
    listing: dict[str, Any] = {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": "",
            "geo_filter": None,
            "children": children,
            "before": None,
        },
    }
    return orjson.dumps(listing if raw_json else _escape_strings(listing))


def _about_body(subreddit: str) -> bytes:
    return orjson.dumps(
        {"kind": "t5", "data": {"display_name": subreddit, "subscribers": 1, "over18": False}}
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: bytes
    content_type: bytes = _JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _error(status: int, message: str, **extra: Any) -> _Answer:
    return _Answer(status, orjson.dumps({**extra, "message": message, "error": status}))


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[bytes, bytes]
    body: bytes
    disconnected: asyncio.Event

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


class FakeReddit:
    """The emulator's answers; its state is inspectable from the thread that started it."""

    def __init__(
        self,
        latency: float = 0.2,
        *,
        token_ttl: float = 86_400.0,
        retry_after: int = 30,
        budget: int = 1_000_000,
        window: float = 600.0,
        slow_seconds: float = 1.0,
        hang_seconds: float = 120.0,
    ) -> None:
        self.latency = latency
        self.token_ttl = token_ttl
        self.retry_after = retry_after
        self.budget = budget
        self.window = window
        self.slow_seconds = slow_seconds
        self.hang_seconds = hang_seconds
        self._bodies: dict[tuple[str, int, bool], bytes] = {}
        self.reset()

    # --- control ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forget requests, tokens, broken and recorded subreddits; restart the window."""
        self.listing_requests: Counter[str] = Counter()
        self.token_requests = 0
        self.rejected_tokens = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.tokens: dict[str, float] = {}
        self.broken: dict[str, int] = {}
        self.recorded: dict[str, bytes] = {}
        self.connections_opened = 0
        self.last_listing_request: _Request | None = None
        self._window_start = time.monotonic()
        self._window_used = 0

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = 0.0

    def break_subreddit(self, name: str, status: int = 503) -> None:
        self.broken[name.lower()] = status

    def repair_subreddit(self, name: str) -> None:
        self.broken.pop(name.lower(), None)

    def serve_listing(self, name: str, body: bytes) -> None:
        self.recorded[name.lower()] = body

    def requests_for(self, name: str) -> int:
        return self.listing_requests[name.lower()]

    def listing_count(self) -> int:
        return sum(self.listing_requests.values())

    def stats(self) -> dict[str, Any]:
        return {
            "listing_requests": dict(self.listing_requests),
            "token_requests": self.token_requests,
            "rejected_tokens": self.rejected_tokens,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "tokens": len(self.tokens),
            "connections_opened": self.connections_opened,
        }

    # --- answers ---------------------------------------------------------------------

    async def handle(self, request: _Request) -> _Answer:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: _Request) -> _Answer:
        path, method = request.path, request.method
        if path.startswith("/_emulator/"):
            return self._control(request)
        match = _LISTING_PATH.fullmatch(path)
        if match and method == "GET":
            return await self._listing(match.group(1), match.group(2) is None, request)
        if path == "/api/v1/access_token" and method == "POST":
            return await self._access_token(request)
        if path.startswith("/subreddits/search"):
            return _Answer(200, listing_body("search", 0))
        return _error(404, "Not Found")

    async def _listing(self, subreddit: str, oauth: bool, request: _Request) -> _Answer:
        await asyncio.sleep(self.latency)
        headers = request.headers
        agent = headers.get(b"user-agent", b"").strip()
        if not agent or agent.lower().startswith((b"python-httpx", b"python-requests")):
            return _error(429, "Too Many Requests")
        if oauth and not self._authorized(headers.get(b"authorization", b"")):
            self.rejected_tokens += 1
            return _Answer(
                401,
                orjson.dumps({"message": "Unauthorized", "error": 401}),
                headers=((b"www-authenticate", b'Bearer realm="reddit", error="invalid_token"'),),
            )
        name = subreddit.lower()
        self.listing_requests[name] += 1
        self.last_listing_request = request
        rate = self._spend()
        if rate is not None:
            return rate
        limits = self._rate_headers()
        if name in self.broken:
            return _Answer(self.broken[name], _BUSY_PAGE, _HTML, limits)
        if name in self.recorded:
            return _Answer(200, self.recorded[name], headers=limits)
        if name.startswith("hang_"):
            # Like a stuck upstream: no answer until the client hangs up.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.hang_seconds):
                    await request.disconnected.wait()
        elif name.startswith("slow_"):
            await asyncio.sleep(self.slow_seconds)
        special = self._special(subreddit, name)
        if special is not None:
            return special
        try:
            limit = max(0, min(100, int(request.arg("limit", "25"))))
        except ValueError:
            limit = 25
        raw = request.arg("raw_json") == "1"
        key = (subreddit, limit, raw)
        body = self._bodies.get(key)
        if body is None:
            if len(self._bodies) >= MAX_CACHED_BODIES:
                self._bodies.clear()
            body = self._bodies[key] = listing_body(subreddit, limit, raw_json=raw)
        return _Answer(200, body, headers=limits)

    def _special(self, subreddit: str, name: str) -> _Answer | None:
        prefix = name.split("_", 1)[0] + "_" if "_" in name else ""
        if prefix == "private_":
            return _error(403, "Forbidden", reason="private")
        if prefix == "quarantined_":
            return _error(
                403,
                "Forbidden",
                reason="quarantined",
                quarantine_message="This community is quarantined.",
            )
        if prefix == "blocked_":
            return _Answer(403, _BLOCKED_PAGE, _HTML)
        if prefix == "banned_":
            return _error(404, "Not Found", reason="banned")
        if prefix == "missing_":
            location = f"/subreddits/search.json?q={quote(subreddit)}".encode()
            return _Answer(302, b"", _JSON, ((b"location", location),))
        if prefix == "ratelimited_":
            wait = str(self.retry_after).encode()
            used = str(self._window_used).encode()
            return _Answer(
                429,
                orjson.dumps({"message": "Too Many Requests", "error": 429}),
                headers=(
                    (b"retry-after", wait),
                    (b"x-ratelimit-used", used),
                    (b"x-ratelimit-remaining", b"0.0"),
                    (b"x-ratelimit-reset", wait),
                ),
            )
        if prefix == "error_":
            return _error(500, "Internal Server Error")
        if prefix == "unavailable_":
            return _Answer(503, _BUSY_PAGE, _HTML)
        if prefix == "html_":
            return _Answer(200, _BUSY_PAGE, _HTML)
        if prefix == "garbage_":
            return _Answer(200, b'{"kind": "Listing", "data": {"children": [{"kind": "t3", "da')
        if prefix == "weird_":
            return _Answer(200, _about_body(subreddit))
        return None

    def _spend(self) -> _Answer | None:
        """Count one listing request against the window; a 429 once the budget is spent."""
        now = time.monotonic()
        if now - self._window_start >= self.window:
            self._window_start, self._window_used = now, 0
        self._window_used += 1
        if self._window_used <= self.budget:
            return None
        return _Answer(
            429,
            orjson.dumps({"message": "Too Many Requests", "error": 429}),
            headers=self._rate_headers(),
        )

    def _rate_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        left = max(0, self.budget - self._window_used)
        reset = max(1, int(self._window_start + self.window - time.monotonic() + 0.999))
        return (
            (b"x-ratelimit-used", str(self._window_used).encode()),
            (b"x-ratelimit-remaining", f"{left:.1f}".encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        )

    def _authorized(self, authorization: bytes) -> bool:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return False
        expires = self.tokens.get(token.strip())
        return expires is not None and time.monotonic() < expires

    async def _access_token(self, request: _Request) -> _Answer:
        self.token_requests += 1
        await asyncio.sleep(self.latency)
        form = parse_qs(request.body.decode())
        authorization = request.headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, encoded = authorization.partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if scheme.lower() != "basic" or not client_id or secret.startswith("invalid"):
            return _error(401, "Unauthorized")
        if form.get("grant_type") != ["client_credentials"]:
            # reddit's way: a 200 that carries the error.
            return _Answer(200, orjson.dumps({"error": "unsupported_grant_type"}))
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        answer = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(self.token_ttl),
            "scope": "*",
        }
        return _Answer(200, orjson.dumps(answer))

    def _control(self, request: _Request) -> _Answer:
        path, method = request.path, request.method
        if path == "/_emulator/stats":
            return _Answer(200, orjson.dumps(self.stats()))
        if path.startswith("/_emulator/listing/") and method == "PUT":
            self.serve_listing(path.rsplit("/", 1)[1], request.body)
            return _Answer(200, b'{"ok": true}')
        if method != "POST":
            return _error(405, "Method Not Allowed")
        if path == "/_emulator/reset":
            self.reset()
        elif path == "/_emulator/expire-tokens":
            self.expire_tokens()
        elif path == "/_emulator/config":
            for name in ("latency", "token_ttl", "window", "slow_seconds", "hang_seconds"):
                if name in request.query:
                    setattr(self, name, float(request.arg(name)))
            for name in ("retry_after", "budget"):
                if name in request.query:
                    setattr(self, name, int(request.arg(name)))
        elif path == "/_emulator/break":
            self.break_subreddit(request.arg("sub"), int(request.arg("status", "503")))
        elif path == "/_emulator/repair":
            self.repair_subreddit(request.arg("sub"))
        else:
            return _error(404, "Not Found")
        return _Answer(200, b'{"ok": true}')


# --- The HTTP server ----------------------------------------------------------------------

_REASONS = {
    200: b"OK",
    400: b"Bad Request",
    302: b"Found",
    401: b"Unauthorized",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    429: b"Too Many Requests",
    500: b"Internal Server Error",
    503: b"Service Unavailable",
}


class _HTTPConnection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive on asyncio and httptools; it sees the client hang up."""

    def __init__(self, reddit: FakeReddit, connections: set[_HTTPConnection]) -> None:
        self._reddit = reddit
        self._connections = connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._pending: deque[_Request] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._disconnected = asyncio.Event()
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.add(self)
        self._reddit.connections_opened += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._disconnected.set()
        # Nobody is left to answer; a slow answer must not outlive the emulator either.
        if self._worker is not None:
            self._worker.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._write(_error(400, "Bad Request"), keep_alive=False)

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self._url)
        request = _Request(
            method=self._parser.get_method().decode(),
            path=url.path.decode(),
            query=parse_qs(url.query.decode()) if url.query else {},
            headers=self._headers,
            body=b"".join(self._body),
            disconnected=self._disconnected,
        )
        self._pending.append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._serve())

    async def _serve(self) -> None:
        # One answer at a time per connection, in order, as HTTP/1.1 requires.
        while self._pending:
            request = self._pending.popleft()
            answer = await self._reddit.handle(request)
            keep_alive = request.headers.get(b"connection", b"").lower() != b"close"
            self._write(answer, keep_alive=keep_alive)

    def _write(self, answer: _Answer, *, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        reason = _REASONS.get(answer.status, b"Unknown")
        head = [
            b"HTTP/1.1 %d %s\r\n" % (answer.status, reason),
            b"content-type: %s\r\n" % answer.content_type,
            b"content-length: %d\r\n" % len(answer.body),
            b"server: fake-reddit\r\n",
        ]
        head += [b"%s: %s\r\n" % header for header in answer.headers]
        if not keep_alive:
            head.append(b"connection: close\r\n")
        transport.write(b"".join(head) + b"\r\n" + answer.body)
        if not keep_alive:
            transport.close()

    @property
    def worker(self) -> asyncio.Task[None] | None:
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        if self._transport is not None:
            self._transport.close()


class _Server:
    """The listening socket and its open connections, closed together."""

    def __init__(self, reddit: FakeReddit) -> None:
        self.reddit = reddit
        self.connections: set[_HTTPConnection] = set()
        self.server: asyncio.Server | None = None

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: _HTTPConnection(self.reddit, self.connections), sock=sock, backlog=4096
        )

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        workers = [c.worker for c in self.connections if c.worker is not None]
        for connection in list(self.connections):
            connection.close()
        await asyncio.gather(*workers, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop does not build everywhere; asyncio's loop works too
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve_fake_reddit(host: str, port: int, latency: float) -> None:
    """Serve the emulator until interrupted (``recipe-api fake-reddit``)."""
    sock = _listening_socket(host, port)
    server = _Server(FakeReddit(latency))

    async def serve() -> None:
        await server.start(sock)
        try:
            await asyncio.Event().wait()
        finally:
            await server.close()

    print(f"Fake reddit on http://{host}:{port} with {latency * 1000:.0f} ms latency", flush=True)
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=_new_event_loop) as r:
        r.run(serve())


@dataclass(frozen=True)
class RunningFakeReddit:
    url: str
    reddit: FakeReddit


@contextlib.contextmanager
def running_fake_reddit(latency: float = 0.0, **options: Any) -> Iterator[RunningFakeReddit]:
    """The emulator on a free local port, on its own loop in a thread of this process."""
    reddit = FakeReddit(latency, **options)
    sock = _listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = _Server(reddit)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start(sock))
        started.set()
        loop.run_forever()
        loop.run_until_complete(server.close())
        loop.close()

    thread = threading.Thread(target=run, name="fake-reddit", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the reddit emulator did not start")
    try:
        yield RunningFakeReddit(f"http://127.0.0.1:{port}", reddit)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
