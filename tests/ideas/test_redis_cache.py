"""The cache in Redis: shared by workers, stale copies kept, Redis trouble is only a miss.

These need a Redis server: TEST_REDIS_URL, or db 15 on the local one. Without
one they are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from recipe_api.ideas.cache import REDIS_PREFIX, RedisListingCache
from recipe_api.ideas.client import Listing, Post
from recipe_api.ideas.emulator import FakeReddit

from .conftest import MakeApp


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def subreddit(redis_client: aioredis.Redis) -> str:
    """A name no other test uses, so its keys in the shared database are this test's own."""
    return f"recipes_{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
async def _remove_keys(redis_client: aioredis.Redis, subreddit: str) -> AsyncIterator[None]:
    yield
    async for key in redis_client.scan_iter(match=f"*{subreddit.lower()}*"):
        await redis_client.delete(key)


async def test_workers_share_the_cache(
    make_app: MakeApp, reddit: FakeReddit, redis_url: str, subreddit: str
) -> None:
    settings = {"redis_url": redis_url, "ideas_cache_ttl": 60, "ideas_subreddits": [subreddit]}
    first_worker = await make_app(**settings)
    second_worker = await make_app(**settings)

    fetched = (await first_worker.client.get("/api/v1/ideas")).json()["sources"][0]
    shared = (await second_worker.client.get("/api/v1/ideas")).json()["sources"][0]

    assert reddit.listing_requests[subreddit] == 1
    assert (fetched["from_cache"], shared["from_cache"]) == (False, True)
    assert shared["posts"] == fetched["posts"]
    assert shared["fetched_at"] == fetched["fetched_at"]


async def test_concurrent_misses_in_one_worker_make_one_call(
    make_app: MakeApp, reddit: FakeReddit, redis_url: str, subreddit: str
) -> None:
    reddit.latency = 0.1
    ideas = await make_app(redis_url=redis_url, ideas_cache_ttl=60, ideas_subreddits=[subreddit])

    await asyncio.gather(*(ideas.client.get("/api/v1/recipes/ideas/async") for _ in range(10)))

    assert reddit.listing_requests[subreddit] == 1


async def test_a_stale_copy_from_redis_when_reddit_fails(
    make_app: MakeApp, reddit: FakeReddit, redis_url: str, subreddit: str
) -> None:
    settings = {"redis_url": redis_url, "ideas_cache_ttl": 0.1, "ideas_subreddits": [subreddit]}
    await (await make_app(**settings)).client.get("/api/v1/ideas")
    reddit.broken[subreddit] = 503
    await asyncio.sleep(0.15)

    # Another worker, which never saw the fresh copy itself.
    response = await (await make_app(**settings)).client.get("/api/v1/recipes/ideas/")

    assert response.status_code == 200
    assert response.headers["x-ideas-stale"] == subreddit
    assert len(response.json()[subreddit]) == 5


async def test_copies_outlive_the_ttl_in_redis(
    make_app: MakeApp, redis_client: aioredis.Redis, redis_url: str, subreddit: str
) -> None:
    ideas = await make_app(redis_url=redis_url, ideas_cache_ttl=60, ideas_subreddits=[subreddit])

    await ideas.client.get("/api/v1/recipes/ideas/async")

    keys = [
        key async for key in redis_client.scan_iter(match=f"{REDIS_PREFIX}*{subreddit.lower()}*")
    ]
    assert len(keys) == 1
    assert await redis_client.ttl(keys[0]) > 60


async def test_redis_cache_round_trip(redis_client: aioredis.Redis, subreddit: str) -> None:
    cache = RedisListingCache(redis_client, keep_for=30, prefix=f"recipe-api-test:{subreddit}:")
    post = Post("Pie & <3", 7, "https://x.test", "https://www.reddit.com/r/x/", "a", 2, 3.0, None)
    listing = Listing(posts=(post,), fetched_at=123.5)

    await cache.set("one", listing)

    assert await cache.get_many(["one", "two"]) == [listing, None]
    await redis_client.set(f"recipe-api-test:{subreddit}:two", b"not a listing")
    assert await cache.get_many(["two"]) == [None]


async def test_unreachable_redis_is_only_a_miss(
    make_app: MakeApp, reddit: FakeReddit, unused_port: int
) -> None:
    ideas = await make_app(redis_url=f"redis://127.0.0.1:{unused_port}/0", ideas_cache_ttl=60)

    response = await ideas.client.get("/api/v1/recipes/ideas/async")

    assert response.status_code == 200
    assert reddit.listing_requests.total() == 3
