"""A reddit stand-in on ``aiohttp.web``: listings, the token endpoint, rate limits, every failure.

``recipe-api fake-reddit --port 9009 --latency 0.2`` serves it (the benchmark
runs it so, in a process of its own); the tests serve :meth:`FakeReddit.app`
on a loop in a thread. It serves both of reddit's hosts: anonymous listings
(``/r/{sub}/top.json``), the token endpoint (``POST /api/v1/access_token``)
and OAuth listings (``/r/{sub}/top``, bearer token required). Posts are a
real recorded post (``reddit_post.json``, from the recorded listings in
tests/ideas/fixtures) with their own titles, scores and links.

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
``links_``         posts whose url, thumbnail or permalink is a ``javascript:``
                   or ``data:`` link (``HOSTILE_LINKS``), as a hostile upstream
``slow_``          ``slow_seconds`` more than the latency
``hang_``          no answer until the client gives up
=================  ==============================================================

Every other name gets a listing whose first post is stickied and third is
over-18, so filtering is exercised. Without ``raw_json=1`` strings come
HTML-escaped, as reddit sends them. A User-Agent is required, and a client
secret starting with ``invalid`` is refused.

A test changes the emulator's options and state in place (``reddit.budget = 3``,
``reddit.broken["recipes"] = 503``) and reads what it was asked from its counters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import html
import re
import secrets
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import BasicAuth, web

_RECORDED_POST: dict[str, Any] = orjson.loads(
    (Path(__file__).parent / "reddit_post.json").read_bytes()
)
_BLOCKED_PAGE = (
    "<!doctype html><html><head><title>Blocked</title></head><body>"
    "<h1>whoa there, pardner!</h1><p>Your request has been blocked due to a network "
    "policy. Try logging in or creating an account here to get back to browsing.</p>"
    "</body></html>"
)
_BUSY_PAGE = (
    "<!doctype html><html><head><title>reddit.com: over capacity</title></head><body>"
    "<h1>all of our servers are busy right now</h1><p>please try again in a minute</p>"
    "</body></html>"
)
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


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    return web.json_response(
        {**extra, "message": message, "error": status}, status=status, headers=headers
    )


def _html(status: int, page: str) -> web.Response:
    return web.Response(status=status, text=page, content_type="text/html")


# Answers chosen by the name's prefix, built per request (a Response is sent once).
_SPECIAL: dict[str, Callable[[str], web.Response]] = {
    "private_": lambda _: _error(403, "Forbidden", reason="private"),
    "quarantined_": lambda _: _error(
        403, "Forbidden", reason="quarantined", quarantine_message="This community is quarantined."
    ),
    "blocked_": lambda _: _html(403, _BLOCKED_PAGE),
    "banned_": lambda _: _error(404, "Not Found", reason="banned"),
    "missing_": lambda sub: web.Response(
        status=302, headers={"Location": f"/subreddits/search.json?q={quote(sub)}"}
    ),
    "error_": lambda _: _error(500, "Internal Server Error"),
    "unavailable_": lambda _: _html(503, _BUSY_PAGE),
    "html_": lambda _: _html(200, _BUSY_PAGE),
    "garbage_": lambda _: web.Response(
        body=b'{"kind": "Listing", "data": {"children": [{"kind": "t3", "da',
        content_type="application/json",
    ),
    "weird_": lambda sub: web.json_response(
        {"kind": "t5", "data": {"display_name": sub, "subscribers": 1, "over18": False}}
    ),
}


# For ``links_`` subreddits, by post index: what replaces the post's own links.
HOSTILE_LINKS: dict[int, dict[str, str]] = {
    1: {"url": "javascript:alert(document.domain)"},
    3: {"url": " JavaScript:alert(1)", "thumbnail": "data:image/svg+xml,<svg onload=alert(1)>"},
    4: {"url": "data:text/html,<script>alert(1)</script>", "thumbnail": "java\tscript:alert(1)"},
    5: {"permalink": "javascript:alert(2)//r/x/comments/1/"},
    6: {
        "url": "https://i.redd.it/kept.jpeg",
        "thumbnail": "https://b.thumbs.redditmedia.com/k.jpg",
    },
}


def _post_data(
    subreddit: str, index: int, *, escaped: bool, hostile: bool = False
) -> dict[str, Any]:
    seed = zlib.crc32(subreddit.lower().encode())
    post_id = f"{(seed + index * 7919) % 36**6:06x}"[:7]
    title = _TITLES[(seed + index) % len(_TITLES)]
    stickied, over_18 = index == 0, index == 2
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
    image = f"https://b.thumbs.redditmedia.com/{post_id}.jpg?width=140&height=140"
    data = {
        **_RECORDED_POST,
        "subreddit": subreddit,
        "subreddit_name_prefixed": f"r/{subreddit}",
        "subreddit_id": f"t5_{seed % 36**5:x}",
        "selftext": _RECORDED_POST["selftext"] if is_self else "",
        "selftext_html": _RECORDED_POST["selftext_html"] if is_self else None,
        "author_fullname": f"t2_{post_id}",
        "author": "AutoModerator" if stickied else f"cook_{(seed + index) % 997}",
        "title": title,
        "name": f"t3_{post_id}",
        "id": post_id,
        "ups": score,
        "score": score,
        "thumbnail": "nsfw" if over_18 else "self" if is_self else image,
        "is_self": is_self,
        "created": created,
        "created_utc": created,
        "domain": f"self.{subreddit}" if is_self else "i.redd.it",
        "over_18": over_18,
        "num_comments": (seed + index * 31) % 400,
        "permalink": permalink,
        "stickied": stickied,
        "pinned": False,
        "distinguished": "moderator" if stickied else None,
        "url": f"https://www.reddit.com{permalink}"
        if is_self
        else f"https://i.redd.it/{post_id}.jpeg",
    }
    return data | HOSTILE_LINKS.get(index, {}) if hostile else data


@functools.lru_cache(maxsize=4096)
def listing_body(subreddit: str, limit: int, *, raw_json: bool = True) -> bytes:
    """A ``top`` listing of ``limit`` posts, as reddit serialises it."""
    children: list[dict[str, Any]] = []
    if not subreddit.lower().startswith("empty_"):
        escaped = subreddit.lower().startswith("escaped_")
        hostile = subreddit.lower().startswith("links_")
        children = [
            {"kind": "t3", "data": _post_data(subreddit, i, escaped=escaped, hostile=hostile)}
            for i in range(limit)
        ]
    data = {"after": children[-1]["data"]["name"] if children else None, "dist": len(children)}
    data |= {"modhash": "", "geo_filter": None, "children": children, "before": None}
    body = orjson.dumps({"kind": "Listing", "data": data})
    # Without raw_json=1 every string is HTML-escaped; in JSON text & < > occur only in strings.
    return body if raw_json else html.escape(body.decode(), quote=False).encode()


@dataclasses.dataclass(eq=False)
class FakeReddit:
    """The emulator's answers; its state is inspectable from the thread that started it."""

    latency: float = 0.2
    token_ttl: float = 86_400.0
    retry_after: int = 30
    budget: int = 1_000_000
    window: float = 600.0
    slow_seconds: float = 1.0
    hang_seconds: float = 120.0

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget requests, tokens, broken and recorded subreddits; restart the window."""
        self.listing_requests: Counter[str] = Counter()  # by subreddit, in lower case
        self.token_requests = 0
        self.rejected_tokens = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.tokens: dict[str, float] = {}  # token: when it expires (monotonic)
        self.broken: dict[str, int] = {}  # subreddit in lower case: the status it answers
        self.recorded: dict[str, bytes] = {}  # subreddit in lower case: the listing it answers
        self.last_listing_request: web.Request | None = None
        self._window_start = time.monotonic()
        self._window_used = 0

    # --- the application ---------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(r"/r/{sub}/{kind:top(\.json)?/?}", self._listing)
        app.router.add_post("/api/v1/access_token", self._access_token)
        app.router.add_get("/subreddits/{tail:search.*}", self._search)
        return app

    async def _listing(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            return await self._listing_answer(request)
        finally:
            self.in_flight -= 1

    async def _listing_answer(self, request: web.Request) -> web.Response:
        subreddit, name = request.match_info["sub"], request.match_info["sub"].lower()
        agent = request.headers.get("user-agent", "").strip().lower()
        if not agent or agent.startswith(("python-httpx", "python-requests")):
            return _error(429, "Too Many Requests")
        oauth = not request.match_info["kind"].startswith("top.json")
        if oauth and not self._authorized(request.headers.get("authorization", "")):
            self.rejected_tokens += 1
            challenge = 'Bearer realm="reddit", error="invalid_token"'
            return _error(401, "Unauthorized", {"www-authenticate": challenge})
        self.listing_requests[name] += 1
        self.last_listing_request = request
        limits = self._spend()
        if self._window_used > self.budget:
            return _error(429, "Too Many Requests", limits)
        if name in self.broken:
            answer = _html(self.broken[name], _BUSY_PAGE)
        elif name in self.recorded:
            answer = web.Response(body=self.recorded[name], content_type="application/json")
        else:
            if name.startswith("hang_"):
                # Like a stuck upstream: no answer until the client hangs up (aiohttp
                # then cancels this handler) or hang_seconds pass.
                await asyncio.sleep(self.hang_seconds)
            elif name.startswith("slow_"):
                await asyncio.sleep(self.slow_seconds)
            prefix = name.partition("_")[0] + "_"
            if prefix == "ratelimited_":
                wait = str(self.retry_after)
                limits |= {"retry-after": wait, "x-ratelimit-remaining": "0.0"}
                limits["x-ratelimit-reset"] = wait
                return _error(429, "Too Many Requests", limits)
            if prefix in _SPECIAL:
                return _SPECIAL[prefix](subreddit)
            try:
                limit = max(0, min(100, int(request.query.get("limit", "25"))))
            except ValueError:
                limit = 25
            body = listing_body(subreddit, limit, raw_json=request.query.get("raw_json") == "1")
            answer = web.Response(body=body, content_type="application/json")
        answer.headers.update(limits)
        return answer

    def _spend(self) -> dict[str, str]:
        """Count one listing request against the window; its ``x-ratelimit-*`` headers."""
        now = time.monotonic()
        if now - self._window_start >= self.window:
            self._window_start, self._window_used = now, 0
        self._window_used += 1
        reset = max(1, int(self._window_start + self.window - now + 0.999))
        return {
            "x-ratelimit-used": str(self._window_used),
            "x-ratelimit-remaining": f"{max(0, self.budget - self._window_used):.1f}",
            "x-ratelimit-reset": str(reset),
        }

    def _authorized(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        expires = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expires is not None and time.monotonic() < expires

    async def _access_token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        await asyncio.sleep(self.latency)
        form = await request.post()
        try:
            client = BasicAuth.decode(request.headers.get("authorization", ""))
        except ValueError:  # not basic authentication
            client = BasicAuth("")
        if not client.login or client.password.startswith("invalid"):
            return _error(401, "Unauthorized")
        if form.getall("grant_type", []) != ["client_credentials"]:
            # reddit's way: a 200 that carries the error.
            return web.json_response({"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        answer = {"access_token": token, "token_type": "bearer", "scope": "*"}
        return web.json_response({**answer, "expires_in": int(self.token_ttl)})

    async def _search(self, request: web.Request) -> web.Response:
        return web.Response(body=listing_body("search", 0), content_type="application/json")


# --- Serving ------------------------------------------------------------------------------

# handler_cancellation: a client that hangs up cancels its answer (hang_ relies on it).
SERVER_OPTIONS: dict[str, Any] = {"access_log": None, "handler_cancellation": True}


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop does not build everywhere; asyncio's loop works too
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve_fake_reddit(host: str, port: int, latency: float) -> None:
    """Serve the emulator until SIGINT or SIGTERM (``recipe-api fake-reddit``)."""
    web.run_app(
        FakeReddit(latency).app(),
        host=host,
        port=port,
        backlog=4096,
        reuse_address=True,
        loop=_new_event_loop(),
        print=lambda _: print(
            f"Fake reddit on http://{host}:{port} with {latency * 1000:.0f} ms latency", flush=True
        ),
        **SERVER_OPTIONS,
    )
