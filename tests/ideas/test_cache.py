"""The per-subreddit cache: hits, expiry, one upstream call per concurrent miss, stale copies."""

from __future__ import annotations

import asyncio

import pytest

from recipe_api.ideas.cache import MemoryListingCache, SingleFlight
from recipe_api.ideas.client import Listing, Post
from recipe_api.ideas.emulator import FakeReddit

from .conftest import DEADLINE, SUBREDDITS, MakeApp


async def test_a_second_request_within_the_ttl_is_served_from_the_cache(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_cache_ttl=60)

    first = (await ideas.client.get("/api/v1/ideas")).json()["sources"]
    second = (await ideas.client.get("/api/v1/ideas")).json()["sources"]

    assert reddit.listing_requests.total() == 3
    assert [source["from_cache"] for source in first] == [False] * 3
    assert [source["from_cache"] for source in second] == [True] * 3
    assert [source["status"] for source in second] == ["ok"] * 3
    assert [source["fetched_at"] for source in second] == [s["fetched_at"] for s in first]
    assert [source["posts"] for source in second] == [s["posts"] for s in first]


async def test_every_endpoint_shares_the_cache(make_app: MakeApp, reddit: FakeReddit) -> None:
    ideas = await make_app(ideas_cache_ttl=60)

    concurrent = await ideas.client.get("/api/v1/recipes/ideas/async")
    sequential = await ideas.client.get("/api/v1/recipes/ideas/")
    await ideas.client.get("/api/v1/ideas")

    assert reddit.listing_requests.total() == 3
    assert sequential.json() == concurrent.json()


async def test_copies_expire_after_the_ttl(make_app: MakeApp, reddit: FakeReddit) -> None:
    ideas = await make_app(ideas_cache_ttl=0.1)

    await ideas.client.get("/api/v1/recipes/ideas/async")
    await asyncio.sleep(0.15)
    await ideas.client.get("/api/v1/recipes/ideas/async")

    assert reddit.listing_requests.total() == 6


async def test_a_ttl_of_zero_turns_the_cache_off(make_app: MakeApp, reddit: FakeReddit) -> None:
    ideas = await make_app(ideas_cache_ttl=0)

    await ideas.client.get("/api/v1/recipes/ideas/async")
    await ideas.client.get("/api/v1/recipes/ideas/")
    await asyncio.gather(*(ideas.client.get("/api/v1/recipes/ideas/async") for _ in range(4)))

    # Without a cache, each request makes its own calls: nothing is shared or kept.
    assert reddit.listing_requests.total() == 18
    assert ideas.service._cache is None


@pytest.mark.parametrize("path", ["/api/v1/recipes/ideas/async", "/api/v1/ideas"])
async def test_concurrent_misses_make_one_upstream_call(
    make_app: MakeApp, reddit: FakeReddit, path: str
) -> None:
    reddit.latency = 0.1
    ideas = await make_app(ideas_cache_ttl=60)

    responses = await asyncio.gather(*(ideas.client.get(path) for _ in range(20)))

    assert {response.status_code for response in responses} == {200}, [
        r.text for r in responses if r.status_code != 200
    ][:1]
    assert {sub: reddit.listing_requests[sub.lower()] for sub in SUBREDDITS} == dict.fromkeys(
        SUBREDDITS, 1
    )


async def test_a_failing_source_serves_its_older_copy_marked_stale(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_cache_ttl=0.1)
    fresh = (await ideas.client.get("/api/v1/ideas")).json()["sources"][0]
    reddit.broken["recipes"] = 503
    await asyncio.sleep(0.15)

    response = await ideas.client.get("/api/v1/ideas")
    tutorial = await ideas.client.get("/api/v1/recipes/ideas/async")

    stale = response.json()["sources"][0]
    assert stale["status"] == "stale"
    assert stale["error"] == "reddit answered r/recipes with a server error (503)"
    assert stale["from_cache"] is True
    assert stale["fetched_at"] == fresh["fetched_at"]
    assert stale["posts"] == fresh["posts"]
    assert response.headers["x-ideas-stale"] == "recipes"
    assert "x-ideas-failed" not in response.headers
    assert tutorial.status_code == 200
    assert len(tutorial.json()["recipes"]) == 5
    assert tutorial.headers["x-ideas-stale"] == "recipes"


async def test_a_hanging_source_serves_its_older_copy_within_the_deadline(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_cache_ttl=0.1)
    await ideas.client.get("/api/v1/ideas")
    await asyncio.sleep(0.15)
    reddit.latency = 5.0

    response = await ideas.client.get("/api/v1/ideas")

    sources = response.json()["sources"]
    assert [source["status"] for source in sources] == ["stale"] * 3
    assert sources[0]["error"] == f"r/recipes timed out after {DEADLINE:.1f} s"


async def test_a_failure_is_remembered_briefly_with_the_cache_on(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_cache_ttl=60)
    params = {"subreddits": "private_sub"}

    first = await ideas.client.get("/api/v1/ideas", params=params)
    second = await ideas.client.get("/api/v1/ideas", params=params)

    assert first.json() == second.json()
    assert reddit.listing_requests["private_sub"] == 1


def _listing(title: str) -> Listing:
    post = Post(title, 1, "https://x.test", "https://www.reddit.com/r/x/", "a", 0, 0.0, None)
    return Listing(posts=(post,), fetched_at=1.0)


async def test_memory_cache_keeps_a_bounded_number_of_copies() -> None:
    cache = MemoryListingCache(max_entries=2)
    await cache.set("a", _listing("a"))
    await cache.set("b", _listing("b"))
    assert (await cache.get_many(["a"]))[0] is not None  # "a" is now the most recent
    await cache.set("c", _listing("c"))

    found = await cache.get_many(["a", "b", "c"])

    assert [listing.posts[0].title if listing else None for listing in found] == ["a", None, "c"]


async def test_memory_cache_forgets_copies_after_keep_for() -> None:
    now = [0.0]
    cache = MemoryListingCache(keep_for=10, clock=lambda: now[0])
    await cache.set("a", _listing("a"))

    now[0] = 9.9
    assert (await cache.get_many(["a"]))[0] is not None
    now[0] = 10.0
    assert (await cache.get_many(["a"])) == [None]


async def test_single_flight_survives_a_waiter_that_gives_up() -> None:
    flights = SingleFlight()
    calls = 0

    async def fetch() -> Listing:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return _listing("shared")

    impatient = flights.join("k", fetch)
    patient = flights.join("k", fetch)
    impatient.cancel()

    assert (await patient).posts[0].title == "shared"
    assert calls == 1
    assert len(flights) == 0
