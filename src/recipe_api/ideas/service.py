"""The fan-out: every source at once under one deadline, and the sequential baseline.

A source that fails, times out or is rate-limited becomes one ``error`` (or,
with an older cached copy, ``stale``) result; nothing a source does can fail
the whole answer or make it wait past the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
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
    is_valid_subreddit,
    open_session,
)
from recipe_api.settings import Settings

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)

SourceStatus = Literal["ok", "stale", "error"]

# 64 concurrent clients x 3 sources are 192 requests in flight on HTTP/1.1;
# below that, requests queue for a connection and the latency doubles.
MAX_UPSTREAM_CONNECTIONS = 256
# A slow cache must not eat the whole deadline: past this share of it, a read is a
# miss and a write is skipped.
CACHE_TIME_SHARE = 0.25
# With the cache on, a source's failure is remembered this long (at most the
# TTL), so a private or failing subreddit is not asked again on every request.
ERROR_HOLD_SECONDS = 10.0
MAX_HELD_ERRORS = 1024


@dataclass(frozen=True, slots=True)
class SourceResult:
    subreddit: str
    status: SourceStatus
    posts: tuple[Post, ...] = ()
    error: str | None = None
    fetched_at: float | None = None
    from_cache: bool = False


def _ok(name: str, listing: Listing, *, from_cache: bool) -> SourceResult:
    return SourceResult(name, "ok", listing.posts, None, listing.fetched_at, from_cache)


def _failed(name: str, message: str, copy: Listing | None) -> SourceResult:
    if copy is not None:
        observability.cache_lookups(stale=1)
        return SourceResult(name, "stale", copy.posts, message, copy.fetched_at, True)
    return SourceResult(name, "error", (), message)


def configured_subreddits(names: Sequence[str]) -> tuple[str, ...]:
    """The configured names, validated, without case-insensitive duplicates."""
    seen: set[str] = set()
    unique: list[str] = []
    for name in names:
        if not is_valid_subreddit(name):
            raise ValueError(f"IDEAS_SUBREDDITS: {name!r} is not a subreddit name")
        if name.lower() not in seen:
            seen.add(name.lower())
            unique.append(name)
    if not unique:
        raise ValueError("IDEAS_SUBREDDITS names no subreddit")
    return tuple(unique)


class IdeasService:
    """A worker's recipe ideas: the configured sources, the deadline, the cache.

    The public API (the web pages use it too): ``top_posts`` and
    ``top_posts_sequential``, both ``async``, each a list of
    :class:`SourceResult` in the order asked.
    """

    def __init__(
        self,
        *,
        client: RedditClient,
        cache: ListingCache | None,
        subreddits: tuple[str, ...],
        limit: int,
        deadline: float,
        cache_ttl: float,
        key_suffix: str = "",
    ) -> None:
        self.subreddits = subreddits
        self.limit = limit
        self.deadline = deadline
        self.cache_ttl = cache_ttl
        self._client = client
        self._cache = cache
        self._flights = SingleFlight()
        self._key_suffix = key_suffix
        self._error_hold = min(ERROR_HOLD_SECONDS, cache_ttl)
        self._recent_errors: dict[str, tuple[float, UpstreamError]] = {}

    async def top_posts(
        self, subreddits: Sequence[str] | None = None, limit: int | None = None
    ) -> list[SourceResult]:
        """Every source concurrently; the answer comes within ``deadline`` seconds."""
        give_up_at = time.monotonic() + self.deadline  # the cache's time counts too
        names, limit, keys, copies, results = await self._start(subreddits, limit)
        waiting = {self._fetch(names[i], keys[i], limit): i for i, r in enumerate(results) if not r}
        if waiting:
            await self._settle(waiting, give_up_at, names, copies, results)
        return [result for result in results if result is not None]

    async def top_posts_sequential(
        self, subreddits: Sequence[str] | None = None, limit: int | None = None
    ) -> list[SourceResult]:
        """One source after another: the baseline the concurrent answer beats.

        Same client, cache and deadline; it takes the sum of the latencies, which
        is what it exists to show. Sources the deadline leaves no time for are
        reported, not asked.
        """
        give_up_at = time.monotonic() + self.deadline  # the cache's time counts too
        names, limit, keys, copies, results = await self._start(subreddits, limit)
        for i, name in enumerate(names):
            if results[i] is not None:
                continue
            if time.monotonic() >= give_up_at:
                message = f"r/{name} was not fetched: the {self.deadline:.1f} s deadline had passed"
                results[i] = _failed(name, message, copies[i])
                continue
            await self._settle(
                {self._fetch(name, keys[i], limit): i}, give_up_at, names, copies, results
            )
        return [result for result in results if result is not None]

    async def _start(
        self, subreddits: Sequence[str] | None, limit: int | None
    ) -> tuple[tuple[str, ...], int, list[str], list[Listing | None], list[SourceResult | None]]:
        """The names and limit asked, their cache keys and copies, and the fresh copies' results."""
        names = tuple(subreddits) if subreddits else self.subreddits
        limit = limit or self.limit
        keys = [f"top:day:{name.lower()}:{limit}{self._key_suffix}" for name in names]
        copies = await self._read_cache(keys)
        now = time.time()
        results: list[SourceResult | None] = [
            _ok(name, copy, from_cache=True)
            if copy is not None and now - copy.fetched_at < self.cache_ttl
            else None
            for name, copy in zip(names, copies, strict=True)
        ]
        if self._cache is not None:
            hits = sum(result is not None for result in results)
            observability.cache_lookups(hits=hits, misses=len(results) - hits)
        return names, limit, keys, copies, results

    async def _settle(
        self,
        waiting: dict[asyncio.Future[Listing], int],
        give_up_at: float,
        names: Sequence[str],
        copies: list[Listing | None],
        results: list[SourceResult | None],
    ) -> None:
        """Waits for the calls until ``give_up_at``, then fills in each one's result."""
        try:
            done, late = await asyncio.wait(
                waiting, timeout=max(0.0, give_up_at - time.monotonic())
            )
        except asyncio.CancelledError:
            # The client went away: its own calls go too (shared ones carry on).
            for future in waiting:
                future.cancel()
            raise
        for future in late:
            future.cancel()
        for future, i in waiting.items():
            name = names[i]
            if future not in done:
                results[i] = _failed(name, self._timed_out(name).message, copies[i])
            elif (exc := future.exception()) is None:
                results[i] = _ok(name, future.result(), from_cache=False)
            elif isinstance(exc, UpstreamError):
                results[i] = _failed(name, exc.message, copies[i])
            else:
                log.error("ideas: r/%s failed unexpectedly", name, exc_info=exc)
                message = f"r/{name} failed unexpectedly ({type(exc).__name__})"
                results[i] = _failed(name, message, copies[i])

    def _timed_out(self, name: str) -> UpstreamError:
        return UpstreamError(f"r/{name} timed out after {self.deadline:.1f} s", "timeout")

    async def _read_cache(self, keys: list[str]) -> list[Listing | None]:
        if self._cache is None:
            return [None] * len(keys)
        budget = self.deadline * CACHE_TIME_SHARE
        try:
            async with asyncio.timeout(budget):
                return await self._cache.get_many(keys)
        except TimeoutError:
            log.warning("ideas cache: no answer within %.2f s, fetching from reddit", budget)
            return [None] * len(keys)

    def _fetch(self, name: str, key: str, limit: int) -> asyncio.Future[Listing]:
        if self._cache is None:
            # Cache off: each request makes its own calls, cancelled at its deadline.
            return asyncio.ensure_future(self._client.fetch_top(name, limit))
        return self._flights.join(key, lambda: self._fetch_and_store(name, key, limit))

    async def _fetch_and_store(self, name: str, key: str, limit: int) -> Listing:
        assert self._cache is not None
        held = self._recent_errors.get(key)
        if held is not None:
            if time.monotonic() < held[0]:
                raise held[1]
            del self._recent_errors[key]
        try:
            # A shared call has no waiter to cancel it: it gives up at the deadline itself.
            async with asyncio.timeout(self.deadline):
                listing = await self._client.fetch_top(name, limit)
        except (UpstreamError, TimeoutError) as exc:
            error = exc if isinstance(exc, UpstreamError) else self._timed_out(name)
            if len(self._recent_errors) >= MAX_HELD_ERRORS:
                self._recent_errors.clear()
            self._recent_errors[key] = (time.monotonic() + self._error_hold, error)
            raise error from None
        budget = self.deadline * CACHE_TIME_SHARE
        try:
            async with asyncio.timeout(budget):
                await self._cache.set(key, listing)
        except TimeoutError:
            log.warning("ideas cache: no answer within %.2f s, copy not kept", budget)
        return listing

    async def aclose(self) -> None:
        await self._flights.cancel_all()


def build_cache(settings: Settings, redis: aioredis.Redis | None) -> ListingCache | None:
    if settings.ideas_cache_ttl <= 0:
        return None
    keep_for = max(STALE_COPY_SECONDS, settings.ideas_cache_ttl)
    if redis is not None:
        return RedisListingCache(redis, keep_for=keep_for)
    return MemoryListingCache(keep_for=keep_for)


@asynccontextmanager
async def open_ideas(
    settings: Settings, redis: aioredis.Redis | None
) -> AsyncIterator[IdeasService]:
    """The worker's ideas service with its one HTTP session, closed on exit.

    ``redis`` belongs to the caller, which closes it.
    """
    subreddits = configured_subreddits(settings.ideas_subreddits)
    async with open_session(settings, max_connections=MAX_UPSTREAM_CONNECTIONS) as session:
        service = IdeasService(
            client=RedditClient(session, settings, known_subreddits=subreddits),
            cache=build_cache(settings, redis),
            subreddits=subreddits,
            limit=settings.ideas_limit,
            deadline=settings.ideas_deadline,
            cache_ttl=settings.ideas_cache_ttl,
            key_suffix=f":{int(settings.ideas_include_stickied)}{int(settings.ideas_include_over_18)}",
        )
        try:
            yield service
        finally:
            await service.aclose()
