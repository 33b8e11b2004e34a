"""The attempt counter: the ``limits`` library against a counter of our own, per attempt.

Run: ``.venv/bin/python bench/throttle.py [redis://127.0.0.1:6379/14]``. Each
variant reserves an attempt (atomic increment, compare to the limit) and, for
a success, gives it back: what one login costs the throttle. The second
table is the in-process cost once many keys are live (a password spray).
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import redis.asyncio as aioredis

from recipe_api.auth.throttle import AttemptCounter, Limit, MemoryAttempts, RedisAttempts

LIMIT = Limit(1_000_000_000, 900)


class LimitsMemory:
    """``limits``' own in-process storage, the same fixed window."""

    def __init__(self) -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import MemoryStorage
        from limits.aio.strategies import FixedWindowRateLimiter

        self.storage = MemoryStorage()
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.item = RateLimitItemPerSecond(LIMIT.attempts, LIMIT.window)

    async def reserve(self, key: str) -> int:
        return 0 if await self.limiter.hit(self.item, key) else 1

    async def give_back(self, key: str) -> None:
        await self.storage.incr(self.item.key_for(key), LIMIT.window, amount=-1)


class OwnRedis:
    """INCR + EXPIRE NX in one transaction: the smallest correct Redis counter of our own."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def reserve(self, key: str) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, LIMIT.window, nx=True)
            count, _ = await pipe.execute()
        return 0 if count <= LIMIT.attempts else 1

    async def give_back(self, key: str) -> None:
        await self.redis.decr(self.prefix + key)


class Ours:
    """What the service runs: ``MemoryAttempts`` or ``RedisAttempts``."""

    def __init__(self, counter: AttemptCounter) -> None:
        self.counter = counter

    async def reserve(self, key: str) -> int:
        return await self.counter.reserve(LIMIT, key)

    async def give_back(self, key: str) -> None:
        await self.counter.give_back(LIMIT, key)


Variant = LimitsMemory | OwnRedis | Ours


async def _per_attempt(counter: Variant, n: int, spread: int = 500) -> float:
    keys = [f"email:user{i % spread}@example.com" for i in range(n)]
    started = time.perf_counter()
    for key in keys:
        await counter.reserve(key)
        await counter.give_back(key)
        # As between requests in a server: background work scheduled by a hit runs.
        await asyncio.sleep(0)
    return (time.perf_counter() - started) / n * 1e6


async def main(redis_url: str | None) -> None:
    variants: list[tuple[str, Variant, int]] = [
        ("ours (MemoryAttempts), in process", Ours(MemoryAttempts("b")), 200_000),
        ("limits MemoryStorage, in process", LimitsMemory(), 200_000),
    ]
    redis = None
    prefix = f"bench:{uuid.uuid4().hex}:"
    if redis_url:
        redis = aioredis.from_url(redis_url)
        variants += [
            ("own INCR + EXPIRE NX pipeline, Redis", OwnRedis(redis, prefix), 5_000),
            (
                "limits RedisStorage (RedisAttempts), Redis",
                Ours(RedisAttempts(redis, prefix)),
                5_000,
            ),
        ]
    print("| counter | µs per attempt (reserve + give back), 500 keys, best of 3 |")
    print("|---|---:|")
    for name, counter, n in variants:
        best = min([await _per_attempt(counter, n) for _ in range(3)])
        print(f"| {name} | {best:.1f} |")
    print("\n| in-process counter | 1,000 live keys | 10,000 live keys |")
    print("|---|---:|---:|")
    for name, make in (("ours", lambda: Ours(MemoryAttempts("b"))), ("limits", LimitsMemory)):
        figures = []
        for spread in (1_000, 10_000):
            counter = make()
            await _per_attempt(counter, spread, spread)  # every key live
            figures.append(await _per_attempt(counter, 2_000, spread))
        print(f"| {name} | {figures[0]:.1f} µs | {figures[1]:.1f} µs |")
    if redis is not None:
        keys = [key async for key in redis.scan_iter(match=f"*{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
