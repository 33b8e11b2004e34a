"""The ideas metrics: upstream calls by subreddit and outcome, cache hits, misses, stale answers."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from recipe_api.ideas.emulator import FakeReddit

from .conftest import MakeApp


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _snapshot() -> dict[str, float]:
    return {
        "ok": _sample(
            "recipe_api_ideas_upstream_requests_total", subreddit="recipes", outcome="ok"
        ),
        "failed": _sample(
            "recipe_api_ideas_upstream_requests_total", subreddit="recipes", outcome="http_503"
        ),
        "other": _sample(
            "recipe_api_ideas_upstream_requests_total", subreddit="other", outcome="http_403"
        ),
        "timed": _sample(
            "recipe_api_ideas_upstream_request_duration_seconds_count", subreddit="recipes"
        ),
        "hit": _sample("recipe_api_ideas_cache_lookups_total", result="hit"),
        "miss": _sample("recipe_api_ideas_cache_lookups_total", result="miss"),
        "stale": _sample("recipe_api_ideas_cache_lookups_total", result="stale"),
    }


async def test_upstream_calls_and_cache_lookups_are_counted(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_cache_ttl=0.1, metrics_enabled=True)
    before = _snapshot()

    await ideas.client.get("/api/v1/ideas")  # 3 misses, 3 calls
    await ideas.client.get("/api/v1/ideas")  # 3 hits
    # A subreddit nobody configured is counted, but not under its own name.
    await ideas.client.get("/api/v1/ideas", params={"subreddits": "private_x"})
    reddit.broken["recipes"] = 503
    await asyncio.sleep(0.15)
    await ideas.client.get("/api/v1/ideas", params={"subreddits": "recipes"})  # a stale copy

    after = _snapshot()
    changes = {key: after[key] - before[key] for key in after}
    assert changes == {
        "ok": 1,
        "failed": 1,
        "other": 1,
        "timed": 2,
        "hit": 3,
        "miss": 3 + 1 + 1,
        "stale": 1,
    }
    text = (await ideas.client.get("/metrics")).text
    assert 'subreddit="private_x"' not in text
