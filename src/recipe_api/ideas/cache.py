"""Listings per subreddit, in this process or in Redis, and one upstream call per miss.

A cache keeps each copy well beyond its TTL: freshness is decided by the
service from ``Listing.fetched_at``, so an expired copy can still be served,
marked stale, when reddit fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from recipe_api.ideas.client import Listing, Post

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)

# How long an expired copy stays available for stale-on-error.
STALE_COPY_SECONDS = 24 * 3600.0
# The answer's subreddits and limit come from query parameters: bound the keys.
MAX_MEMORY_ENTRIES = 1024
REDIS_PREFIX = "recipe-api:ideas:"


class ListingCache(Protocol):
    async def get_many(self, keys: Sequence[str]) -> list[Listing | None]:
        """The stored copy for each key (fresh or not), ``None`` where there is none."""

    async def set(self, key: str, listing: Listing) -> None: ...


def encode_listing(listing: Listing) -> bytes:
    posts = [
        [p.title, p.score, p.url, p.permalink, p.author, p.num_comments, p.created_utc, p.thumbnail]
        for p in listing.posts
    ]
    return orjson.dumps({"fetched_at": listing.fetched_at, "posts": posts})


def decode_listing(raw: bytes | str) -> Listing | None:
    """A listing stored by :func:`encode_listing`; ``None`` for anything else."""
    try:
        payload = orjson.loads(raw)
        posts = tuple(Post(*fields) for fields in payload["posts"])
        return Listing(posts=posts, fetched_at=float(payload["fetched_at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class MemoryListingCache:
    """A bounded LRU in this process."""

    def __init__(
        self,
        *,
        keep_for: float = STALE_COPY_SECONDS,
        max_entries: int = MAX_MEMORY_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keep_for = keep_for
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Listing]] = OrderedDict()

    async def get_many(self, keys: Sequence[str]) -> list[Listing | None]:
        now = self._clock()
        found: list[Listing | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry[0] <= now:
                del self._entries[key]
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
            found.append(entry[1] if entry is not None else None)
        return found

    async def set(self, key: str, listing: Listing) -> None:
        self._entries[key] = (self._clock() + self._keep_for, listing)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class RedisListingCache:
    """The same in Redis, shared by every worker. Redis trouble is a miss, never an error."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        keep_for: float = STALE_COPY_SECONDS,
        prefix: str = REDIS_PREFIX,
    ) -> None:
        from redis.exceptions import RedisError

        self._redis_error = RedisError
        self._redis = redis
        self._keep_for = max(1, int(keep_for))
        self._prefix = prefix

    async def get_many(self, keys: Sequence[str]) -> list[Listing | None]:
        try:
            names = [self._prefix + key for key in keys]
            raws: list[bytes | str | None] = await self._redis.mget(names)
        except (self._redis_error, OSError) as exc:
            log.warning("ideas cache: Redis read failed, fetching from reddit: %s", exc)
            return [None] * len(keys)
        return [decode_listing(raw) if raw is not None else None for raw in raws]

    async def set(self, key: str, listing: Listing) -> None:
        try:
            await self._redis.set(self._prefix + key, encode_listing(listing), ex=self._keep_for)
        except (self._redis_error, OSError) as exc:
            log.warning("ideas cache: Redis write failed: %s", exc)


class SingleFlight:
    """Concurrent callers of the same key share one running call.

    Each caller waits on a shield, so a caller that gives up (its deadline
    passed) leaves the call running for the others, and its result still
    lands in the cache.
    """

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[Listing]] = {}

    def join(
        self, key: str, call: Callable[[], Coroutine[Any, Any, Listing]]
    ) -> asyncio.Future[Listing]:
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(call())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[Listing]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            # Mark the error as seen: every waiter may have given up already.
            task.exception()

    def __len__(self) -> int:
        return len(self._running)

    async def cancel_all(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
