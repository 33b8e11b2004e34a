"""Counting failed logins per email and per client address, in Redis or in this process."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import redis.asyncio as aioredis


log = logging.getLogger(__name__)


class FailureCounter(Protocol):
    async def blocked_for(self, key: str, limit: int) -> int:
        """Seconds until ``key`` may try again; 0 when it is not blocked."""

    async def add_failure(self, key: str) -> None: ...

    async def clear(self, key: str) -> None: ...


class MemoryCounter:
    """A fixed window per key; enough for a single worker."""

    def __init__(self, window_seconds: int, *, max_keys: int = 100_000) -> None:
        self.window = window_seconds
        self.max_keys = max_keys
        self._failures: dict[str, tuple[int, float]] = {}

    def _current(self, key: str) -> tuple[int, float]:
        count, started = self._failures.get(key, (0, 0.0))
        if time.monotonic() - started >= self.window:
            return 0, time.monotonic()
        return count, started

    async def blocked_for(self, key: str, limit: int) -> int:
        count, started = self._current(key)
        if count < limit:
            return 0
        return max(1, int(started + self.window - time.monotonic() + 0.999))

    async def add_failure(self, key: str) -> None:
        if len(self._failures) >= self.max_keys:
            self._prune()
        count, started = self._current(key)
        self._failures[key] = (count + 1, started)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _prune(self) -> None:
        now = time.monotonic()
        expired = [k for k, (_, started) in self._failures.items() if now - started >= self.window]
        for key in expired:
            del self._failures[key]
        if len(self._failures) >= self.max_keys:
            self._failures.clear()


class RedisCounter:
    """The same window in Redis, shared by every worker."""

    def __init__(self, redis: aioredis.Redis, window_seconds: int, prefix: str) -> None:
        self.redis = redis
        self.window = window_seconds
        self.prefix = prefix

    async def blocked_for(self, key: str, limit: int) -> int:
        name = self.prefix + key
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(name)
            pipe.ttl(name)
            count, ttl = await pipe.execute()
        if count is None or int(count) < limit:
            return 0
        return max(1, int(ttl))

    async def add_failure(self, key: str) -> None:
        name = self.prefix + key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, self.window, nx=True)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


class LoginThrottle:
    """Failed-login limits per email and per client address.

    When the counter's store (Redis) fails, logins go on unthrottled and a
    warning is logged: an outage of the cache must not lock everyone out.
    """

    def __init__(self, counter: FailureCounter, *, per_email: int, per_client: int) -> None:
        self.counter = counter
        self.per_email = per_email
        self.per_client = per_client

    @staticmethod
    def _keys(email: str, client: str) -> tuple[str, str]:
        return f"email:{email.strip().lower()}", f"client:{client}"

    async def retry_after(self, email: str, client: str) -> int:
        email_key, client_key = self._keys(email, client)
        try:
            return max(
                await self.counter.blocked_for(email_key, self.per_email),
                await self.counter.blocked_for(client_key, self.per_client),
            )
        except Exception as exc:
            log.warning("Login throttle unavailable, not throttling: %s", exc)
            return 0

    async def failed(self, email: str, client: str) -> None:
        try:
            for key in self._keys(email, client):
                await self.counter.add_failure(key)
        except Exception as exc:
            log.warning("Login throttle unavailable, failure not counted: %s", exc)

    async def succeeded(self, email: str, client: str) -> None:
        # The address keeps its count: one good account must not reset a spray.
        try:
            await self.counter.clear(self._keys(email, client)[0])
        except Exception as exc:
            log.warning("Login throttle unavailable, count not cleared: %s", exc)
