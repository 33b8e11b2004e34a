"""429s and the x-ratelimit-* headers: reddit is not asked again before the reset."""

from __future__ import annotations

import asyncio
import email.utils
import time

from multidict import CIMultiDict, CIMultiDictProxy

from recipe_api.ideas.client import (
    DEFAULT_RATE_LIMIT_WAIT,
    MAX_RATE_LIMIT_WAIT,
    Answer,
    backoff,
)
from recipe_api.ideas.emulator import FakeReddit

from .conftest import RETRY_AFTER, MakeApp


async def test_a_429_stops_calls_to_that_host_and_serves_cached_copies_meanwhile(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_cache_ttl=0.1)
    params = {"subreddits": "recipes,ratelimited_sub,easyrecipes"}
    first = (await ideas.client.get("/api/v1/ideas", params=params)).json()["sources"]
    assert [source["status"] for source in first] == ["ok", "error", "ok"]
    assert "(429); retrying after 1 s" in first[1]["error"]
    calls = reddit.listing_requests.total()

    await asyncio.sleep(0.15)  # the copies are stale now
    response = await ideas.client.get("/api/v1/ideas", params=params)

    assert reddit.listing_requests.total() == calls
    second = response.json()["sources"]
    assert [source["status"] for source in second] == ["stale", "error", "stale"]
    assert second[0]["posts"] == first[0]["posts"]
    assert "reddit asked us to wait" in second[0]["error"]
    assert response.headers["x-ideas-stale"] == "recipes,easyrecipes"
    assert response.headers["x-ideas-failed"] == "ratelimited_sub"

    await asyncio.sleep(RETRY_AFTER)
    third = (await ideas.client.get("/api/v1/ideas", params=params)).json()["sources"]

    assert reddit.listing_requests.total() == calls + 3
    assert [source["status"] for source in third] == ["ok", "error", "ok"]


async def test_a_spent_budget_stops_calls_before_the_429(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    reddit.budget, reddit.window = 3, 1.0
    reddit.reset()
    ideas = await make_app()

    first = await ideas.client.get("/api/v1/recipes/ideas/async")
    second = await ideas.client.get("/api/v1/recipes/ideas/async")

    assert first.status_code == 200
    # The third answer said x-ratelimit-remaining: 0.0; nothing was sent after it.
    assert reddit.listing_requests.total() == 3
    assert second.status_code == 502
    assert "reddit asked us to wait, next try in 1 s" in second.text


def _answer(status: int, headers: dict[str, str]) -> Answer:
    return Answer(status, CIMultiDictProxy(CIMultiDict(headers)))


def test_retry_after_in_seconds_wins() -> None:
    assert backoff(_answer(429, {"retry-after": "7", "x-ratelimit-reset": "30"})) == 7


def test_retry_after_as_a_date() -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)

    wait = backoff(_answer(429, {"retry-after": when}))

    assert wait is not None
    assert 15 < wait <= 21


def test_a_bare_429_waits_a_minute_and_a_reset_header_is_used() -> None:
    assert backoff(_answer(429, {})) == DEFAULT_RATE_LIMIT_WAIT
    assert backoff(_answer(429, {"x-ratelimit-reset": "12"})) == 12
    assert backoff(_answer(429, {"retry-after": "86400"})) == MAX_RATE_LIMIT_WAIT


def test_remaining_budget_is_read_from_every_answer() -> None:
    assert (
        backoff(_answer(200, {"x-ratelimit-remaining": "997.0", "x-ratelimit-reset": "9"})) is None
    )
    assert backoff(_answer(200, {"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "9"})) == 9
    assert backoff(_answer(200, {"x-ratelimit-remaining": "nonsense"})) is None
    assert backoff(_answer(200, {})) is None
