"""The fan-out: every source at once under one deadline, and the sequential baseline.

A source that fails, times out or is rate-limited becomes one ``error`` (or,
with an older cached copy, ``stale``) result; nothing a source does can fail
the whole answer or make it wait past the deadline.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from recipe_api import observability
from recipe_api.ideas.cache import (
    STALE_COPY_SECONDS,
    ListingCache,
    MemoryListingCache,
    RedisListingCache,
    SingleFlight,
)
from recipe_api.ideas.client import (
    Listing,
    Post,
    RedditClient,
    UpstreamError,
    open_http_client,
    unique_subreddits,
)
from recipe_api.settings import Settings

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)

SourceStatus = Literal["ok", "stale", "error"]

# 64 concurrent clients x 3 sources are 192 requests in flight on HTTP/1.1;
# below that, requests queue for a connection and the latency doubles.
MAX_UPSTREAM_CONNECTIONS = 256
# A slow Redis must not eat the whole deadline: past this share of it, a read is a
# miss and a write is skipped.
CACHE_TIME_SHARE = 0.25
# With the cache on, a source's failure is remembered this long (at most the
# TTL), so a private or failing subreddit is not asked again on every request.
ERROR_HOLD_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class SourceResult:
    name: str  # the subreddit
    status: SourceStatus
    posts: tuple[Post, ...] = ()
    error: str | None = None
    fetched_at: float | None = None
    from_cache: bool = False


class IdeasService:
    """A worker's recipe ideas: the configured sources, the deadline, the cache.

    ``top_posts`` (the web pages use it too) answers a :class:`SourceResult`
    per subreddit, in the order asked.
    """

    def __init__(
        self, settings: Settings, client: RedditClient, cache: ListingCache | None
    ) -> None:
        try:
            self.subreddits = unique_subreddits(settings.ideas_subreddits)
        except ValueError as exc:
            raise ValueError(f"IDEAS_SUBREDDITS: {exc.args[0]!r} is not a subreddit name") from None
        if not self.subreddits:
            raise ValueError("IDEAS_SUBREDDITS names no subreddit")
        self.limit = settings.ideas_limit
        self.deadline = settings.ideas_deadline
        self.cache_ttl = settings.ideas_cache_ttl
        self._client = client
        self._cache = cache
        self._flights = SingleFlight(hold_failures=min(ERROR_HOLD_SECONDS, self.cache_ttl))
        # The filters change what a listing holds: they are part of its key.
        stickied, over_18 = settings.ideas_include_stickied, settings.ideas_include_over_18
        self._key_suffix = f":{stickied:d}{over_18:d}"

    async def top_posts(
        self,
        subreddits: Sequence[str] | None = None,
        limit: int | None = None,
        *,
        one_by_one: bool = False,
    ) -> list[SourceResult]:
        """Every source at once, or ``one_by_one`` with the same client, cache and deadline.

        One by one takes the sum of the latencies, which is what the sequential
        endpoint exists to show; sources the deadline leaves no time for are
        reported, not asked. The answer comes within ``deadline`` seconds.
        """
        give_up_at = time.monotonic() + self.deadline  # the cache's time counts too
        names = tuple(subreddits) if subreddits else self.subreddits
        limit = limit or self.limit
        keys = [f"top:day:{name.lower()}:{limit}{self._key_suffix}" for name in names]
        copies = await self._cache.get_many(keys) if self._cache else [None] * len(keys)
        now = time.time()
        results = [
            SourceResult(name, "ok", copy.posts, None, copy.fetched_at, True)
            if copy is not None and now - copy.fetched_at < self.cache_ttl
            else None
            for name, copy in zip(names, copies, strict=True)
        ]
        misses = [i for i, result in enumerate(results) if result is None]
        if self._cache is not None:
            observability.cache_lookups(hits=len(names) - len(misses), misses=len(misses))
        sources = [(names[i], keys[i], copies[i]) for i in misses]
        batches = [[source] for source in sources] if one_by_one else [sources]
        fetched = iter([r for b in batches for r in await self._settle(b, limit, give_up_at)])
        return [result or next(fetched) for result in results]

    async def _settle(
        self, sources: list[tuple[str, str, Listing | None]], limit: int, give_up_at: float
    ) -> list[SourceResult]:
        """The sources' calls, all at once until ``give_up_at`` (one timer for them all).

        A failure is that source's error, or its older copy served stale. The client
        going away cancels the calls of its own (a shared one carries on).
        """
        if not sources or time.monotonic() >= give_up_at:
            message = "r/{} was not fetched: the {:.1f} s deadline had passed"
            return [
                self._failed(name, message.format(name, self.deadline), c) for name, _, c in sources
            ]
        calls = [asyncio.ensure_future(self._call(name, key, limit)) for name, key, _ in sources]
        try:
            await asyncio.wait(calls, timeout=max(0.0, give_up_at - time.monotonic()))
        finally:
            for call in calls:
                call.cancel()  # the late ones
        results = []
        for (name, _, copy), call in zip(sources, calls, strict=True):
            if not call.done() or call.cancelled():
                results.append(self._failed(name, self._timed_out(name), copy))
            elif (exc := call.exception()) is None:
                listing = call.result()
                results.append(SourceResult(name, "ok", listing.posts, None, listing.fetched_at))
            elif isinstance(exc, UpstreamError):
                results.append(self._failed(name, exc.message, copy))
            else:
                log.error("ideas: r/%s failed unexpectedly", name, exc_info=exc)
                message = f"r/{name} failed unexpectedly ({type(exc).__name__})"
                results.append(self._failed(name, message, copy))
        return results

    def _call(self, name: str, key: str, limit: int) -> Awaitable[Listing]:
        if self._cache is None:
            # Cache off: each request makes its own calls, cancelled at its deadline.
            return self._client.fetch_top(name, limit)
        call = functools.partial(self._fetch_and_store, name, key, limit)
        return self._flights.join(key, call)

    def _failed(self, name: str, message: str, copy: Listing | None) -> SourceResult:
        if copy is None:
            return SourceResult(name, "error", (), message)
        observability.cache_lookups(stale=1)
        return SourceResult(name, "stale", copy.posts, message, copy.fetched_at, True)

    def _timed_out(self, name: str) -> str:
        return f"r/{name} timed out after {self.deadline:.1f} s"

    async def _fetch_and_store(self, name: str, key: str, limit: int) -> Listing:
        assert self._cache is not None
        try:
            # A shared call has no waiter to cancel it: it gives up at the deadline itself.
            async with asyncio.timeout(self.deadline):
                listing = await self._client.fetch_top(name, limit)
        except TimeoutError:
            raise UpstreamError(self._timed_out(name), "timeout") from None
        await self._cache.set(key, listing)
        return listing

    async def aclose(self) -> None:
        await self._flights.cancel_all()


@asynccontextmanager
async def open_ideas(
    settings: Settings, redis: aioredis.Redis | None
) -> AsyncIterator[IdeasService]:
    """The worker's ideas service with its one HTTP client, closed on exit.

    ``redis`` belongs to the caller, which closes it.
    """
    ttl = settings.ideas_cache_ttl
    keep_for = max(STALE_COPY_SECONDS, ttl)
    cache: ListingCache | None = None
    if ttl > 0 and redis is not None:
        timeout = settings.ideas_deadline * CACHE_TIME_SHARE
        cache = RedisListingCache(redis, keep_for=keep_for, timeout=timeout)
    elif ttl > 0:
        cache = MemoryListingCache(keep_for=keep_for)
    http = open_http_client(settings, max_connections=MAX_UPSTREAM_CONNECTIONS)
    try:
        service = IdeasService(settings, RedditClient(http, settings), cache)
        try:
            yield service
        finally:
            await service.aclose()
    finally:
        await http.aclose()
