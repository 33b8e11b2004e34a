"""Application-only OAuth: the token is fetched once, reused, renewed before expiry and on a 401."""

from __future__ import annotations

import asyncio

import pytest

from recipe_api.ideas.emulator import FakeReddit

from .conftest import IdeasApp, MakeApp

OAUTH = {"reddit_client_id": "app-id", "reddit_client_secret": "app-secret"}


@pytest.fixture
async def oauth_ideas(make_app: MakeApp) -> IdeasApp:
    return await make_app(**OAUTH)


async def test_listings_come_from_the_oauth_host_with_a_bearer_token(
    oauth_ideas: IdeasApp, reddit: FakeReddit
) -> None:
    response = await oauth_ideas.client.get("/api/v1/recipes/ideas/async")

    assert response.status_code == 200
    assert all(len(lines) == 5 for lines in response.json().values())
    assert reddit.token_requests == 1
    request = reddit.last_listing_request
    assert request is not None
    assert request.path.endswith("/top")
    assert request.query.getall("raw_json") == ["1"]
    assert request.headers["authorization"].startswith("bearer ")


async def test_oauth_host_is_a_setting(
    make_app: MakeApp, reddit: FakeReddit, reddit_url: str, unused_port: int
) -> None:
    # Token from the base URL, listings from the OAuth URL: here nothing answers there.
    ideas = await make_app(**OAUTH, reddit_oauth_url=f"http://127.0.0.1:{unused_port}")

    response = await ideas.client.get("/api/v1/recipes/ideas/async")

    assert response.status_code == 502
    assert reddit.token_requests == 1
    assert f"cannot connect to 127.0.0.1:{unused_port}" in response.text


async def test_the_token_is_reused(oauth_ideas: IdeasApp, reddit: FakeReddit) -> None:
    for _ in range(3):
        assert (await oauth_ideas.client.get("/api/v1/recipes/ideas/async")).status_code == 200
    # The sequential endpoint shares the token too.
    assert (await oauth_ideas.client.get("/api/v1/recipes/ideas/")).status_code == 200

    assert reddit.token_requests == 1
    assert reddit.listing_requests.total() == 12


async def test_concurrent_first_requests_fetch_one_token(
    oauth_ideas: IdeasApp, reddit: FakeReddit
) -> None:
    responses = await asyncio.gather(
        *(oauth_ideas.client.get("/api/v1/recipes/ideas/async") for _ in range(5))
    )

    assert [response.status_code for response in responses] == [200] * 5
    assert reddit.token_requests == 1


async def test_a_401_renews_the_token_once(oauth_ideas: IdeasApp, reddit: FakeReddit) -> None:
    await oauth_ideas.client.get("/api/v1/recipes/ideas/async")
    reddit.tokens.clear()  # as if expired: reddit answers 401

    response = await oauth_ideas.client.get("/api/v1/recipes/ideas/async")

    assert response.status_code == 200
    assert "x-ideas-failed" not in response.headers
    assert reddit.rejected_tokens == 3
    assert reddit.token_requests == 2


async def test_the_sequential_endpoint_renews_on_a_401(
    oauth_ideas: IdeasApp, reddit: FakeReddit
) -> None:
    await oauth_ideas.client.get("/api/v1/recipes/ideas/")
    reddit.tokens.clear()  # as if expired: reddit answers 401

    response = await oauth_ideas.client.get("/api/v1/recipes/ideas/")

    assert response.status_code == 200
    assert "x-ideas-failed" not in response.headers
    assert reddit.token_requests == 2


async def test_the_token_is_renewed_shortly_before_it_expires(
    oauth_ideas: IdeasApp, reddit: FakeReddit
) -> None:
    reddit.token_ttl = 1.0  # renewed after 0.9 s: a tenth of its life early
    await oauth_ideas.client.get("/api/v1/recipes/ideas/async")
    assert reddit.token_requests == 1
    await asyncio.sleep(0.95)

    response = await oauth_ideas.client.get("/api/v1/recipes/ideas/async")

    assert response.status_code == 200
    assert reddit.token_requests == 2
    # Renewed before use, not after a refusal.
    assert reddit.rejected_tokens == 0


async def test_refused_credentials_are_each_sources_clear_error(
    make_app: MakeApp, reddit: FakeReddit
) -> None:
    ideas = await make_app(reddit_client_id="app-id", reddit_client_secret="invalid-secret")

    first = await ideas.client.get("/api/v1/ideas")
    second = await ideas.client.get("/api/v1/recipes/ideas/async")

    assert first.status_code == second.status_code == 502
    errors = [source["error"] for source in first.json()["sources"]]
    assert errors[0] == (
        "r/recipes was not fetched: reddit refused the app's OAuth credentials (401): "
        "check REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET"
    )
    # One refusal is shared by every source and, for a few seconds, by later requests.
    assert reddit.token_requests == 1
    assert reddit.listing_requests.total() == 0
