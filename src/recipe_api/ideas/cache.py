"""Listings per subreddit, in this process or in Redis, and one upstream call per miss.

A cache keeps each copy well beyond its TTL: freshness is decided by the
service from ``Listing.fetched_at``, so an expired copy can still be served,
marked stale, when reddit fails.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from cachetools import TTLCache

from recipe_api.ideas.client import Listing, Post, UpstreamError

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)

# How long an expired copy stays available for stale-on-error.
STALE_COPY_SECONDS = 24 * 3600.0
# The answer's subreddits and limit come from query parameters: bound the keys.
MAX_MEMORY_ENTRIES = 1024
# Held failures expire on their own; past this many keys a new one is not held.
MAX_FLIGHTS = 1024
REDIS_PREFIX = "recipe-api:ideas:"


def decode_listing(raw: bytes | str) -> Listing | None:
    """A listing stored as orjson writes the dataclass; ``None`` for anything else."""
    try:
        payload = orjson.loads(raw)
        posts = tuple(Post(**fields) for fields in payload["posts"])
        return Listing(posts=posts, fetched_at=float(payload["fetched_at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class MemoryListingCache:
    """A bounded cache in this process: past ``max_entries``, the least recently used goes."""

    def __init__(
        self,
        *,
        keep_for: float = STALE_COPY_SECONDS,
        max_entries: int = MAX_MEMORY_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: TTLCache[str, Listing] = TTLCache(max_entries, keep_for, timer=clock)

    async def get_many(self, keys: Sequence[str]) -> list[Listing | None]:
        """The stored copy for each key (fresh or not), ``None`` where there is none."""
        return [self._entries.get(key) for key in keys]

    async def set(self, key: str, listing: Listing) -> None:
        self._entries[key] = listing


class RedisListingCache:
    """The same in Redis, shared by every worker.

    Redis trouble, or no answer within ``timeout``, is a miss (or a copy not
    kept), never an error: a slow cache must not eat the request's deadline.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keep_for: float = STALE_COPY_SECONDS,
        prefix: str = REDIS_PREFIX,
        timeout: float | None = None,
    ) -> None:
        from redis.exceptions import RedisError  # imported only where Redis is used

        # OSError covers the TimeoutError of asyncio.timeout, logged as TimeoutError().
        self._errors = (RedisError, OSError)
        self._redis = redis
        self._keep_for = max(1, int(keep_for))
        self._prefix = prefix
        self._timeout = timeout

    async def get_many(self, keys: Sequence[str]) -> list[Listing | None]:
        try:
            async with asyncio.timeout(self._timeout):
                raws = await self._redis.mget([self._prefix + key for key in keys])
        except self._errors as exc:
            log.warning("ideas cache: Redis failed or was too slow, fetching from reddit: %r", exc)
            return [None] * len(keys)
        return [decode_listing(raw) if raw is not None else None for raw in raws]

    async def set(self, key: str, listing: Listing) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.set(self._prefix + key, orjson.dumps(listing), ex=self._keep_for)
        except self._errors as exc:
            log.warning("ideas cache: Redis failed or was too slow, copy not kept: %r", exc)


class SingleFlight:
    """Concurrent callers of the same key share one running call, and its failure a while longer.

    Each caller waits on a shield, so a caller that gives up (its deadline
    passed) leaves the call running for the others, and its result still
    lands in the cache. A call that failed with an :class:`UpstreamError` is
    kept ``hold_failures`` seconds, so a private or failing subreddit is not
    asked again on every request.
    """

    def __init__(self, hold_failures: float = 0.0) -> None:
        self._hold = hold_failures
        self._calls: dict[str, asyncio.Task[Listing]] = {}

    def join(
        self, key: str, call: Callable[[], Coroutine[Any, Any, Listing]]
    ) -> asyncio.Future[Listing]:
        task = self._calls.get(key)
        if task is None:
            task = self._calls[key] = asyncio.create_task(call())
            task.add_done_callback(functools.partial(self._finished, key))
        return asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[Listing]) -> None:
        # Reading the exception marks it as seen: every waiter may have given up already.
        failed = not task.cancelled() and isinstance(task.exception(), UpstreamError)
        if failed and self._hold > 0 and len(self._calls) <= MAX_FLIGHTS:
            asyncio.get_running_loop().call_later(self._hold, self._forget, key, task)
        else:
            self._forget(key, task)

    def _forget(self, key: str, task: asyncio.Task[Listing]) -> None:
        if self._calls.get(key) is task:
            del self._calls[key]

    def __len__(self) -> int:
        return len(self._calls)

    async def cancel_all(self) -> None:
        tasks = list(self._calls.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


ListingCache = MemoryListingCache | RedisListingCache
