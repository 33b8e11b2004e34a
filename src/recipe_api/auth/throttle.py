"""Attempt limits per key (an email, a client address), in Redis or in this process.

An attempt is *reserved* before the expensive or sensitive work (the
password check, a signup): the counter is incremented atomically first and
the count that one increment returns decides, so N simultaneous attempts can
never all see "below the limit". A successful login gives its reservation
back.

In Redis the counters are the ``limits`` library's fixed windows (a Lua
increment, shared by every worker). In one process they are a dict of our
own: ``limits``' in-memory storage sweeps every key on every hit, which
measured 39 ms per attempt with 100,000 keys (see
``docs/decisions/0003-attempt-throttling.md``).

When the store (Redis) fails, attempts go on unthrottled and a warning is
logged: an outage of the cache must not lock everyone out.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per ``window`` seconds for each key."""

    attempts: int
    window: int


class AttemptCounter(Protocol):
    prefix: str

    async def reserve(self, limit: Limit, key: str) -> int:
        """Counts one attempt; 0 when it is within the limit, else seconds to wait."""

    async def give_back(self, limit: Limit, key: str) -> None: ...

    async def clear(self, limit: Limit, key: str) -> None: ...

    async def count(self, limit: Limit, key: str) -> int:
        """The attempts counted in the key's current window (0 when none is open)."""


def attempt_counter(redis: aioredis.Redis | None, prefix: str) -> AttemptCounter:
    """Redis shared by every worker (on the app's own connection pool), or this process."""
    return MemoryAttempts(prefix) if redis is None else RedisAttempts(redis, prefix)


class RedisAttempts:
    """Fixed windows in Redis through ``limits`` (atomic increments in a Lua script)."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        # limits types its options as scalars, but hands them to redis-py as is.
        self.storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        self.limiter = FixedWindowRateLimiter(self.storage)
        # Tests give each run a fresh key space through this.
        self.prefix = prefix

    def _item(self, limit: Limit) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(limit.attempts, limit.window, namespace=self.prefix)

    async def reserve(self, limit: Limit, key: str) -> int:
        item = self._item(limit)
        if await self.limiter.hit(item, key):
            return 0
        stats = await self.limiter.get_window_stats(item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def give_back(self, limit: Limit, key: str) -> None:
        item = self._item(limit)
        await self.storage.incr(item.key_for(key), item.get_expiry(), amount=-1)

    async def clear(self, limit: Limit, key: str) -> None:
        await self.limiter.clear(self._item(limit), key)

    async def count(self, limit: Limit, key: str) -> int:
        stats = await self.limiter.get_window_stats(self._item(limit), key)
        return limit.attempts - stats.remaining


class MemoryAttempts:
    """Fixed windows in this process; enough for a single worker.

    Nothing here awaits, so each call is atomic on the event loop. A window
    ends ``limit.window`` seconds after its key's first attempt, on the
    monotonic clock. At ``max_keys`` live keys the oldest half is dropped:
    memory stays bounded, and the cost of the sweep is spread over the
    inserts that filled it.
    """

    def __init__(self, prefix: str = "", *, max_keys: int = 100_000) -> None:
        self.prefix = prefix
        self.max_keys = max_keys
        self._counts: dict[str, list[float]] = {}  # key -> [count, window end]

    def _live(self, key: str, now: float) -> list[float] | None:
        entry = self._counts.get(key)
        if entry is not None and entry[1] <= now:
            del self._counts[key]
            return None
        return entry

    async def reserve(self, limit: Limit, key: str) -> int:
        now = time.monotonic()
        entry = self._live(key, now)
        if entry is None:
            if len(self._counts) >= self.max_keys:
                self._evict(now)
            entry = self._counts[key] = [0, now + limit.window]
        entry[0] += 1
        if entry[0] <= limit.attempts:
            return 0
        return max(1, math.ceil(entry[1] - now))

    async def give_back(self, limit: Limit, key: str) -> None:
        entry = self._live(key, time.monotonic())
        if entry is not None and entry[0] > 0:
            entry[0] -= 1

    async def clear(self, limit: Limit, key: str) -> None:
        self._counts.pop(key, None)

    async def count(self, limit: Limit, key: str) -> int:
        entry = self._live(key, time.monotonic())
        return 0 if entry is None else int(entry[0])

    def _evict(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        if len(self._counts) >= self.max_keys:
            # Insertion order is first-attempt order: keep the newer half.
            keep = list(self._counts.items())[self.max_keys // 2 :]
            self._counts = dict(keep)


# How long an address that proved it holds an email's mailbox (a completed
# password reset) logs in to that email on a count of its own: longer than a
# flood of wrong passwords is likely to last (decision 0003).
MAILBOX_PROOF_SECONDS = 7 * 24 * 3600
_PROOF = Limit(1, MAILBOX_PROOF_SECONDS)


class LoginThrottle:
    """Login attempts per email and per client address.

    Every attempt is reserved before the password is checked; a success gives
    the address's reservation back and clears the email's count (the owner
    got in). An address keeps the failures of every email it tried: one good
    account must not reset a password spray.

    A stranger's wrong passwords must not keep the owner out (decision 0003):
    a completed password reset clears the email's count, and the address
    that completed it then counts its attempts for that email apart from
    everyone else's (``email:<email>:<address>``) for ``MAILBOX_PROOF_SECONDS``.
    A password change, asked by a signed-in cook, counts on a key of its own
    (``change:<email>``) for the same reason, and its success clears the
    email's login count as a login's does.
    """

    def __init__(self, counter: AttemptCounter, *, per_email: Limit, per_client: Limit) -> None:
        self.counter = counter
        self.per_email = per_email
        self.per_client = per_client

    async def _email_key(self, email: str, client: str, *, change: bool) -> str:
        if change:
            return f"change:{email}"
        if await self.counter.count(_PROOF, f"proved:{email}:{client}"):
            return f"email:{email}:{client}"
        return f"email:{email}"

    async def reserve(self, email: str, client: str, *, change: bool = False) -> int:
        """0 when this attempt may check the password, else seconds to wait.

        ``change``: the check of a signed-in cook's current password.
        """
        try:
            wait = await self.counter.reserve(self.per_client, f"client:{client}")
            if wait:
                return wait
            email_key = await self._email_key(email, client, change=change)
            wait = await self.counter.reserve(self.per_email, email_key)
            if wait:
                # Not checked, so not the address's attempt.
                await self.counter.give_back(self.per_client, f"client:{client}")
            return wait
        except Exception as exc:
            log.warning("Login throttle unavailable, not throttling: %s", exc)
            return 0

    async def not_checked(self, email: str, client: str, *, change: bool = False) -> None:
        """Gives back a reservation whose password was never checked (the service was busy)."""
        try:
            email_key = await self._email_key(email, client, change=change)
            await self.counter.give_back(self.per_email, email_key)
            await self.counter.give_back(self.per_client, f"client:{client}")
        except Exception as exc:
            log.warning("Login throttle unavailable, count not given back: %s", exc)

    async def succeeded(self, email: str, client: str, *, change: bool = False) -> None:
        try:
            email_key = await self._email_key(email, client, change=change)
            await self.counter.clear(self.per_email, email_key)
            if change:
                # The owner proved the password: the failed logins go too.
                await self.counter.clear(self.per_email, f"email:{email}")
            # A login on an address's own count leaves the shared one alone: the
            # flood it keeps out gets no fresh guesses from the owner's success.
            await self.counter.give_back(self.per_client, f"client:{client}")
        except Exception as exc:
            log.warning("Login throttle unavailable, count not cleared: %s", exc)

    async def mailbox_proved(self, email: str, client: str) -> None:
        """The email's owner completed a password reset from ``client``.

        The email's failures are cleared, and ``client`` logs in to it on a
        count of its own from now on, so a flood that goes on cannot lock the
        owner out again.
        """
        try:
            await self.counter.clear(self.per_email, f"email:{email}")
            await self.counter.clear(self.per_email, f"change:{email}")
            proof = f"proved:{email}:{client}"
            await self.counter.clear(_PROOF, proof)
            await self.counter.reserve(_PROOF, proof)
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


class ResetThrottle:
    """Password-reset requests per client address and per email, answered or not."""

    def __init__(self, counter: AttemptCounter, *, per_email: Limit, per_client: Limit) -> None:
        self.counter = counter
        self.per_email = per_email
        self.per_client = per_client

    async def reserve(self, email: str, client: str) -> int:
        try:
            wait = await self.counter.reserve(self.per_client, f"reset-client:{client}")
            if wait:
                return wait
            return await self.counter.reserve(self.per_email, f"reset-email:{email}")
        except Exception as exc:
            log.warning("Reset throttle unavailable, not throttling: %s", exc)
            return 0
