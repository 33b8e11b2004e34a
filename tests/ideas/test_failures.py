"""Every way a source can fail is that source's clear error: never a 500, never a hang."""

from __future__ import annotations

import time

import pytest

from recipe_api.ideas.client import Listing
from recipe_api.ideas.emulator import FakeReddit

from .conftest import DEADLINE, EMULATOR_DEFAULTS, MakeApp

# Far below the emulator's hang (hang_seconds), above the deadline plus a loaded machine's delays.
WELL_BEFORE_THE_HANG = DEADLINE * 3
assert EMULATOR_DEFAULTS["hang_seconds"] > WELL_BEFORE_THE_HANG

FAILURES = [
    ("private_sub", "r/private_sub is private"),
    ("quarantined_sub", "r/quarantined_sub is quarantined"),
    ("blocked_sub", "reddit blocked the request for r/blocked_sub (403)"),
    ("banned_sub", "r/banned_sub is banned"),
    ("missing_sub", "r/missing_sub does not exist"),
    ("ratelimited_sub", "reddit rate-limited the request for r/ratelimited_sub (429)"),
    ("error_sub", "reddit answered r/error_sub with a server error (500)"),
    ("unavailable_sub", "reddit answered r/unavailable_sub with a server error (503)"),
    ("html_sub", "reddit answered r/html_sub with an HTML page instead of JSON"),
    ("garbage_sub", "reddit answered r/garbage_sub with a body that is not JSON"),
    ("weird_sub", "reddit answered r/weird_sub with JSON of an unexpected shape"),
    ("hang_sub", f"r/hang_sub timed out after {DEADLINE:.1f} s"),
]
TUTORIAL_PATHS = ["/api/v1/recipes/ideas/async", "/api/v1/recipes/ideas/"]


@pytest.mark.parametrize(("failing", "message"), FAILURES)
async def test_one_failing_source_in_the_structured_answer(
    make_app: MakeApp, failing: str, message: str
) -> None:
    ideas = await make_app()

    response = await ideas.client.get(
        "/api/v1/ideas", params={"subreddits": f"recipes,{failing},easyrecipes"}
    )

    assert response.status_code == 200
    assert response.headers["x-ideas-failed"] == failing
    recipes, broken, easy = response.json()["sources"]
    assert broken["status"] == "error"
    assert broken["error"].startswith(message)
    assert broken["posts"] == []
    assert broken["fetched_at"] is None
    for source in (recipes, easy):
        assert source["status"] == "ok"
        assert len(source["posts"]) == 5


@pytest.mark.parametrize("path", TUTORIAL_PATHS)
@pytest.mark.parametrize(("failing", "message"), FAILURES)
async def test_one_failing_source_in_the_tutorial_answers(
    make_app: MakeApp, path: str, failing: str, message: str
) -> None:
    ideas = await make_app(ideas_subreddits=["recipes", failing, "easyrecipes"])

    response = await ideas.client.get(path)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["recipes", failing, "easyrecipes"]
    assert body[failing] == []
    assert len(body["recipes"]) == 5
    if failing.startswith(("ratelimited", "hang")) and path == "/api/v1/recipes/ideas/":
        # One after another, what follows a 429 is not asked before the reset, and what
        # follows a hang is not asked once the deadline has passed.
        assert response.headers["x-ideas-failed"] == f"{failing},easyrecipes"
    else:
        assert response.headers["x-ideas-failed"] == failing
        assert len(body["easyrecipes"]) == 5


@pytest.mark.parametrize("path", [*TUTORIAL_PATHS, "/api/v1/ideas"])
async def test_every_source_failing_is_a_502_naming_each_error(
    make_app: MakeApp, path: str
) -> None:
    subreddits = ["private_one", "banned_two", "missing_three"]
    ideas = await make_app(ideas_subreddits=subreddits)

    response = await ideas.client.get(path)

    assert response.status_code == 502
    assert response.headers["x-ideas-failed"] == ",".join(subreddits)
    body = response.json()
    if path == "/api/v1/ideas":
        assert [source["status"] for source in body["sources"]] == ["error"] * 3
    else:
        assert body["detail"] == (
            "All 3 sources failed: r/private_one is private; r/banned_two is banned; "
            "r/missing_three does not exist"
        )
        assert body["errors"]["banned_two"] == "r/banned_two is banned"


@pytest.mark.parametrize("path", [*TUTORIAL_PATHS, "/api/v1/ideas"])
async def test_unreachable_reddit(make_app: MakeApp, unused_port: int, path: str) -> None:
    url = f"http://127.0.0.1:{unused_port}"
    ideas = await make_app(reddit_base_url=url, reddit_oauth_url=url)

    response = await ideas.client.get(path)

    assert response.status_code == 502
    message = f"r/recipes could not be fetched: cannot connect to 127.0.0.1:{unused_port}"
    assert message in response.text


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
@pytest.mark.parametrize("path", ["/api/v1/recipes/ideas/async", "/api/v1/ideas"])
async def test_the_deadline_holds_while_a_source_hangs(
    make_app: MakeApp, reddit: FakeReddit, path: str
) -> None:
    ideas = await make_app(ideas_subreddits=["recipes", "hang_forever", "easyrecipes"])

    started = time.monotonic()
    response = await ideas.client.get(path)
    elapsed = time.monotonic() - started

    # A hanging source holds its request for hang_seconds; the answer comes at the deadline
    # (1.5 s), give or take a loaded machine's scheduling.
    assert elapsed < WELL_BEFORE_THE_HANG
    assert response.status_code == 200
    assert response.headers["x-ideas-failed"] == "hang_forever"
    assert reddit.listing_requests["hang_forever"] == 1


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
async def test_sequential_endpoint_skips_what_the_deadline_leaves_no_time_for(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(ideas_subreddits=["recipes", "hang_one", "hang_two"])

    started = time.monotonic()
    response = await ideas.client.get("/api/v1/recipes/ideas/")

    assert time.monotonic() - started < WELL_BEFORE_THE_HANG
    assert response.status_code == 200
    assert response.headers["x-ideas-failed"] == "hang_one,hang_two"
    # The first hang used up the deadline: the next source was not even asked.
    assert reddit.listing_requests["hang_two"] == 0
    sources = (await ideas.client.get("/api/v1/ideas")).json()["sources"]
    assert sources[0]["status"] == "ok"


async def test_a_slow_source_within_the_deadline_is_waited_for(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app()

    response = await ideas.client.get("/api/v1/ideas", params={"subreddits": "slow_sub,recipes"})

    assert [source["status"] for source in response.json()["sources"]] == ["ok", "ok"]


@pytest.mark.parametrize("path", [*TUTORIAL_PATHS, "/api/v1/ideas"])
async def test_an_unexpected_exception_is_one_sources_error(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    ideas = await make_app()
    client = ideas.service._client
    fetch = client.fetch_top

    async def buggy(subreddit: str, limit: int) -> Listing:
        if subreddit == "easyrecipes":
            raise ZeroDivisionError
        return await fetch(subreddit, limit)

    monkeypatch.setattr(client, "fetch_top", buggy)

    response = await ideas.client.get(path)

    assert response.status_code == 200
    assert response.headers["x-ideas-failed"] == "easyrecipes"
    if path == "/api/v1/ideas":
        error = response.json()["sources"][1]["error"]
        assert error == "r/easyrecipes failed unexpectedly (ZeroDivisionError)"


async def test_an_oversized_answer_is_that_sources_error(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    reddit.recorded["huge_sub"] = b" " * (9 * 1024 * 1024)  # past the 8 MiB the client reads
    ideas = await make_app()

    response = await ideas.client.get("/api/v1/ideas", params={"subreddits": "huge_sub,recipes"})

    huge, recipes = response.json()["sources"]
    assert huge["status"] == "error"
    assert huge["error"] == "r/huge_sub could not be fetched: ClientPayloadError"
    assert recipes["status"] == "ok"
