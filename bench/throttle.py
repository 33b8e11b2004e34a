"""The attempt counter: the ``limits`` library against a counter of our own, per attempt.

Run: ``.venv/bin/python bench/throttle.py [redis://127.0.0.1:6379/14]``. Each
variant reserves an attempt (atomic increment, compare to the limit) and, for
a success, gives it back: what one login costs the throttle. The "own"
variants are the smallest correct counters we would otherwise keep: a dict
on the event loop, and INCR + EXPIRE NX in one Redis transaction.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import redis.asyncio as aioredis

from recipe_api.auth.throttle import AttemptCounter, Limit, attempt_storage

LIMIT = Limit(1_000_000_000, 900)


class OwnMemory:
    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, float]] = {}

    async def reserve(self, key: str) -> int:
        now = time.monotonic()
        count, started = self.counts.get(key, (0, now))
        if now - started >= LIMIT.window:
            count, started = 0, now
        self.counts[key] = (count + 1, started)
        return 0 if count < LIMIT.attempts else 1

    async def give_back(self, key: str) -> None:
        count, started = self.counts[key]
        self.counts[key] = (count - 1, started)


class OwnRedis:
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


class Library:
    def __init__(self, counter: AttemptCounter) -> None:
        self.counter = counter

    async def reserve(self, key: str) -> int:
        return await self.counter.reserve(LIMIT, key)

    async def give_back(self, key: str) -> None:
        await self.counter.give_back(LIMIT, key)


async def _per_attempt(counter: OwnMemory | OwnRedis | Library, n: int) -> float:
    keys = [f"email:user{i % 500}@example.com" for i in range(n)]
    started = time.perf_counter()
    for key in keys:
        await counter.reserve(key)
        await counter.give_back(key)
    return (time.perf_counter() - started) / n * 1e6


async def main(redis_url: str | None) -> None:
    variants: list[tuple[str, OwnMemory | OwnRedis | Library, int]] = [
        ("own, in process", OwnMemory(), 200_000),
        ("limits, in process", Library(AttemptCounter(attempt_storage(None), "b")), 200_000),
    ]
    redis = None
    if redis_url:
        redis = aioredis.from_url(redis_url)
        prefix = f"bench:{uuid.uuid4().hex}:"
        variants += [
            ("own, Redis", OwnRedis(redis, prefix), 5_000),
            ("limits, Redis", Library(AttemptCounter(attempt_storage(redis), prefix)), 5_000),
        ]
    print("| counter | µs per attempt (reserve + give back), best of 3 |")
    print("|---|---:|")
    for name, counter, n in variants:
        best = min([await _per_attempt(counter, n) for _ in range(3)])
        print(f"| {name} | {best:.1f} |")
    if redis is not None:
        keys = [key async for key in redis.scan_iter(match=f"*{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
