"""The emulator itself: a real HTTP server that answers like reddit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import orjson
import pytest

from recipe_api.ideas.emulator import FakeReddit, listing_body

from .conftest import REPO

AGENT = {"User-Agent": "test:recipe-api-tests:1.0 (by /u/tester)"}


def test_listing_has_reddits_shape() -> None:
    listing = orjson.loads(listing_body("recipes", 3))

    assert listing["kind"] == "Listing"
    assert listing["data"]["dist"] == 3
    child = listing["data"]["children"][0]
    assert child["kind"] == "t3"
    for field in ("title", "score", "url", "permalink", "author", "num_comments", "created_utc"):
        assert field in child["data"]
    assert child["data"]["stickied"] is True
    assert listing["data"]["children"][2]["data"]["over_18"] is True


def test_without_raw_json_strings_are_html_escaped() -> None:
    escaped = orjson.loads(listing_body("recipes", 10, raw_json=False))
    raw = orjson.loads(listing_body("recipes", 10))

    titles = [child["data"]["title"] for child in raw["data"]["children"]]
    escaped_titles = [child["data"]["title"] for child in escaped["data"]["children"]]
    assert any("&" in title for title in titles)
    assert [t.replace("&", "&amp;").replace("<", "&lt;") for t in titles] == escaped_titles


async def test_many_slow_answers_at_once(reddit: FakeReddit, reddit_url: str) -> None:
    # Long enough that the 100 connections are all open before the first answer,
    # even on a loaded machine (at 0.2 s one CI run saw 59 at once).
    reddit.latency = 0.5
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=reddit_url, headers=AGENT, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.get(f"/r/sub{i}/top.json", params={"limit": 2}) for i in range(100))
        )

    assert {response.status_code for response in responses} == {200}
    # Sleeping answers overlap: no thread or worker is held per request.
    assert reddit.max_in_flight >= 64


async def test_the_oauth_flow(reddit: FakeReddit, reddit_url: str) -> None:
    async with httpx.AsyncClient(base_url=reddit_url, headers=AGENT) as client:
        anonymous = await client.get("/r/recipes/top")
        refused = await client.post(
            "/api/v1/access_token",
            auth=("id", "invalid"),
            data={"grant_type": "client_credentials"},
        )
        wrong_grant = await client.post(
            "/api/v1/access_token", auth=("id", "secret"), data={"grant_type": "password"}
        )
        granted = await client.post(
            "/api/v1/access_token",
            auth=("id", "secret"),
            data={"grant_type": "client_credentials"},
        )
        token = granted.json()["access_token"]
        listing = await client.get("/r/recipes/top", headers={"Authorization": f"bearer {token}"})

    assert anonymous.status_code == 401
    assert refused.status_code == 401
    assert wrong_grant.json() == {"error": "unsupported_grant_type"}
    assert granted.json()["token_type"] == "bearer"
    assert granted.json()["expires_in"] == 86_400
    assert listing.status_code == 200
    assert float(listing.headers["x-ratelimit-remaining"]) > 0


async def test_a_user_agent_is_required(reddit_url: str) -> None:
    async with httpx.AsyncClient(base_url=reddit_url) as client:
        response = await client.get("/r/recipes/top.json")

    assert response.status_code == 429


async def test_broken_and_recorded_subreddits(reddit: FakeReddit, reddit_url: str) -> None:
    reddit.broken["recipes"] = 502
    reddit.recorded["mine"] = listing_body("mine", 1)
    async with httpx.AsyncClient(base_url=reddit_url, headers=AGENT) as client:
        broken = await client.get("/r/Recipes/top.json")
        mine = await client.get("/r/mine/top.json")

    assert broken.status_code == 502
    assert mine.json()["data"]["dist"] == 1
    assert reddit.listing_requests == {"recipes": 1, "mine": 1}


def test_the_command_serves_until_interrupted(unused_port: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "recipe_api.cli", "fake-reddit", "--port", str(unused_port)]
    process = subprocess.Popen(
        [*command, "--latency", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{unused_port}/r/recipes/top.json", headers=AGENT
                )
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"recipe-api fake-reddit did not answer: {output}")
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        process.send_signal(2)
        process.wait(10)
    assert process.returncode == 0


async def test_a_missing_subreddit_redirects_to_an_empty_search(reddit_url: str) -> None:
    async with httpx.AsyncClient(base_url=reddit_url, headers=AGENT) as client:
        missing = await client.get("/r/missing_sub/top.json")
        search = await client.get(missing.headers["location"])

    assert missing.status_code == 302
    assert missing.headers["location"] == "/subreddits/search.json?q=missing_sub"
    assert search.status_code == 200
    assert search.json()["data"]["children"] == []
