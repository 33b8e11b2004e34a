"""Attempt limits per key (an email, a client address), in Redis or in this process.

The counters are the ``limits`` library's fixed windows (see
``docs/decisions/0003-attempt-throttling.md``). An attempt is *reserved*
before the expensive or sensitive work (the password check, a signup): the
counter is incremented atomically first and the answer of that one increment
decides, so N simultaneous attempts can never all see "below the limit".
A successful login gives its reservation back.

When the store (Redis) fails, attempts go on unthrottled and a warning is
logged: an outage of the cache must not lock everyone out.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)


def attempt_storage(redis: aioredis.Redis | None) -> Storage:
    """Redis shared by every worker (on the app's own connection pool), or this process."""
    if redis is None:
        return MemoryStorage()
    # limits types its options as scalars, but hands them to redis-py as is.
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per ``window`` seconds for each key."""

    attempts: int
    window: int

    def item(self, namespace: str) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(self.attempts, self.window, namespace=namespace)


class AttemptCounter:
    """Reserves, gives back and clears attempts under one key prefix."""

    def __init__(self, storage: Storage, prefix: str) -> None:
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        # Tests give each run a fresh key space through this.
        self.prefix = prefix

    async def reserve(self, limit: Limit, key: str) -> int:
        """Counts one attempt; 0 when it is within the limit, else seconds to wait."""
        item = limit.item(self.prefix)
        if await self.limiter.hit(item, key):
            return 0
        stats = await self.limiter.get_window_stats(item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def give_back(self, limit: Limit, key: str) -> None:
        item = limit.item(self.prefix)
        await self.storage.incr(item.key_for(key), item.get_expiry(), amount=-1)

    async def clear(self, limit: Limit, key: str) -> None:
        await self.limiter.clear(limit.item(self.prefix), key)


class LoginThrottle:
    """Login attempts per email and per client address.

    Every attempt is reserved before the password is checked; a success gives
    the address's reservation back and clears the email's count (the owner
    got in). An address keeps the failures of every email it tried: one good
    account must not reset a password spray.
    """

    def __init__(self, counter: AttemptCounter, *, per_email: Limit, per_client: Limit) -> None:
        self.counter = counter
        self.per_email = per_email
        self.per_client = per_client

    async def reserve(self, email: str, client: str) -> int:
        """0 when this attempt may check the password, else seconds to wait."""
        try:
            wait = await self.counter.reserve(self.per_client, f"client:{client}")
            if wait:
                return wait
            wait = await self.counter.reserve(self.per_email, f"email:{email}")
            if wait:
                # Not checked, so not the address's attempt.
                await self.counter.give_back(self.per_client, f"client:{client}")
            return wait
        except Exception as exc:
            log.warning("Login throttle unavailable, not throttling: %s", exc)
            return 0

    async def succeeded(self, email: str, client: str) -> None:
        try:
            await self.counter.clear(self.per_email, f"email:{email}")
            await self.counter.give_back(self.per_client, f"client:{client}")
        except Exception as exc:
            log.warning("Login throttle unavailable, count not cleared: %s", exc)


class SignupThrottle:
    """Signup attempts per client address, successful or not."""

    def __init__(self, counter: AttemptCounter, *, per_client: Limit) -> None:
        self.counter = counter
        self.per_client = per_client

    async def reserve(self, client: str) -> int:
        try:
            return await self.counter.reserve(self.per_client, f"signup:{client}")
        except Exception as exc:
            log.warning("Signup throttle unavailable, not throttling: %s", exc)
            return 0
