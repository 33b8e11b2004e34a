"""A reddit stand-in on ``aiohttp.web``: listings, the token endpoint, rate limits, every failure.

``recipe-api fake-reddit --port 9009 --latency 0.2`` serves it; the tests run
it on a loop in a thread (:func:`running_fake_reddit`), the benchmark in a
process of its own. It serves both of reddit's hosts: anonymous listings
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
``slow_``          ``slow_seconds`` more than the latency
``hang_``          no answer until the client gives up
=================  ==============================================================

Every other name gets a listing whose first post is stickied and third is
over-18, so filtering is exercised. Without ``raw_json=1`` strings come
HTML-escaped, as reddit sends them. A User-Agent is required, and a client
secret starting with ``invalid`` is refused.

Control endpoints under ``/_emulator/`` (``stats``, ``reset``, ``config?budget=..``,
``break?sub=&status=``, ...) call :class:`FakeReddit`'s methods of the same names.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import functools
import html
import re
import secrets
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson
from aiohttp import web

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


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(payload), content_type="application/json", headers=headers
    )


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    return _json(status, {**extra, "message": message, "error": status}, headers)


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
    "weird_": lambda sub: _json(
        200, {"kind": "t5", "data": {"display_name": sub, "subscribers": 1, "over18": False}}
    ),
}


def _post_data(subreddit: str, index: int, *, escaped: bool) -> dict[str, Any]:
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
    return {
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


def _escape_strings(value: Any) -> Any:
    """What reddit sends without ``raw_json=1``: every string HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, dict):
        return {k: _escape_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_strings(v) for v in value]
    return value


@functools.lru_cache(maxsize=4096)
def listing_body(subreddit: str, limit: int, *, raw_json: bool = True) -> bytes:
    """A ``top`` listing of ``limit`` posts, as reddit serialises it."""
    children: list[dict[str, Any]] = []
    if not subreddit.lower().startswith("empty_"):
        escaped = subreddit.lower().startswith("escaped_")
        children = [
            {"kind": "t3", "data": _post_data(subreddit, i, escaped=escaped)} for i in range(limit)
        ]
    data = {"after": children[-1]["data"]["name"] if children else None, "dist": len(children)}
    data |= {"modhash": "", "geo_filter": None, "children": children, "before": None}
    listing = {"kind": "Listing", "data": data}
    return orjson.dumps(listing if raw_json else _escape_strings(listing))


@dataclasses.dataclass(frozen=True, slots=True)
class SeenRequest:
    """A listing request as the emulator received it; header names in lower case."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


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
        self.last_listing_request: SeenRequest | None = None
        self._window_start = time.monotonic()
        self._window_used = 0

    def configure(self, values: Mapping[str, str]) -> None:
        """Set the options named in ``values`` (``latency``, ``budget``, ...) from strings."""
        for option in dataclasses.fields(self):
            if option.name in values:
                convert = float if option.type == "float" else int
                setattr(self, option.name, convert(values[option.name]))

    def expire_tokens(self) -> None:
        self.tokens = dict.fromkeys(self.tokens, 0.0)

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
        }

    # --- the application ---------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(r"/r/{sub}/{kind:top(\.json)?/?}", self._listing)
        app.router.add_post("/api/v1/access_token", self._access_token)
        app.router.add_get("/subreddits/{tail:search.*}", self._search)
        app.router.add_get("/_emulator/stats", self._stats)
        app.router.add_put("/_emulator/listing/{sub}", self._put_listing)
        app.router.add_post("/_emulator/{action}", self._control)
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
            answer = _error(401, "Unauthorized")
            answer.headers["www-authenticate"] = 'Bearer realm="reddit", error="invalid_token"'
            return answer
        self.listing_requests[name] += 1
        self.last_listing_request = SeenRequest(
            request.path,
            {key: request.query.getall(key) for key in request.query},
            {key.lower(): value for key, value in request.headers.items()},
        )
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
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if scheme.lower() != "basic" or not client_id or secret.startswith("invalid"):
            return _error(401, "Unauthorized")
        if form.getall("grant_type", []) != ["client_credentials"]:
            # reddit's way: a 200 that carries the error.
            return _json(200, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        answer = {"access_token": token, "token_type": "bearer", "scope": "*"}
        return _json(200, {**answer, "expires_in": int(self.token_ttl)})

    async def _search(self, request: web.Request) -> web.Response:
        return web.Response(body=listing_body("search", 0), content_type="application/json")

    async def _stats(self, request: web.Request) -> web.Response:
        return _json(200, self.stats())

    async def _put_listing(self, request: web.Request) -> web.Response:
        self.serve_listing(request.match_info["sub"], await request.read())
        return _json(200, {"ok": True})

    async def _control(self, request: web.Request) -> web.Response:
        query, sub = request.query, request.query.get("sub", "")
        actions: dict[str, Callable[[], None]] = {
            "reset": self.reset,
            "expire-tokens": self.expire_tokens,
            "config": lambda: self.configure(query),
            "break": lambda: self.break_subreddit(sub, int(query.get("status", "503"))),
            "repair": lambda: self.repair_subreddit(sub),
        }
        action = actions.get(request.match_info["action"])
        if action is None:
            return _error(404, "Not Found")
        action()
        return _json(200, {"ok": True})


# --- Serving ------------------------------------------------------------------------------

# handler_cancellation: a client that hangs up cancels its answer (hang_ relies on it).
_SERVER_OPTIONS: dict[str, Any] = {"access_log": None, "handler_cancellation": True}


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
        **_SERVER_OPTIONS,
    )


class RunningFakeReddit(NamedTuple):
    url: str
    reddit: FakeReddit


@contextlib.contextmanager
def running_fake_reddit(latency: float = 0.0, **options: Any) -> Iterator[RunningFakeReddit]:
    """The emulator on a free local port, on its own loop in a thread of this process."""
    reddit = FakeReddit(latency, **options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-reddit", daemon=True)
    thread.start()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)

    runner = web.AppRunner(reddit.app(), **_SERVER_OPTIONS)
    run(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    run(site.start())
    try:
        yield RunningFakeReddit(f"http://127.0.0.1:{runner.addresses[0][1]}", reddit)
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
