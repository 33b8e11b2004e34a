"""The client reads what reddit really sends: recorded listings (see fixtures/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recipe_api.ideas.client import parse_listing
from recipe_api.ideas.emulator import FakeReddit

from .conftest import MakeApp

RECORDED = sorted((Path(__file__).parent / "fixtures").glob("*.json"))


def test_the_recorded_listings_are_here() -> None:
    assert len(RECORDED) == 2


def _children(path: Path) -> list[dict[str, Any]]:
    listing = json.loads(path.read_bytes())
    return [child["data"] for child in listing["data"]["children"]]


@pytest.mark.parametrize("path", RECORDED, ids=[path.stem for path in RECORDED])
def test_recorded_listing_parses(path: Path) -> None:
    children = _children(path)

    posts = parse_listing("recorded", json.loads(path.read_bytes()), limit=25)

    expected = [c for c in children if not c["stickied"] and not c["over_18"]]
    assert [post.title for post in posts] == [c["title"] for c in expected]
    for post, child in zip(posts, expected, strict=True):
        assert post.score == child["score"]
        assert post.url == child["url"]
        assert post.permalink == "https://www.reddit.com" + child["permalink"]
        assert post.author == child["author"]
        assert post.num_comments == child["num_comments"]
        assert post.created_utc == child["created_utc"]
        thumbnail = child["thumbnail"]
        assert post.thumbnail == (thumbnail if thumbnail.startswith("https://") else None)


@pytest.mark.parametrize("path", RECORDED, ids=[path.stem for path in RECORDED])
async def test_recorded_listing_served_end_to_end(
    make_app: MakeApp, reddit: FakeReddit, path: Path
) -> None:
    reddit.recorded["recorded_sub"] = path.read_bytes()  # noqa: ASYNC240 (a small file)
    ideas = await make_app()

    response = await ideas.client.get(
        "/api/v1/ideas", params={"subreddits": "recorded_sub", "limit": 25}
    )

    source = response.json()["sources"][0]
    assert source["status"] == "ok"
    titles = [c["title"] for c in _children(path) if not c["stickied"] and not c["over_18"]]
    assert [post["title"] for post in source["posts"]] == titles
