"""Private recipes: seen by their cook and superusers only, in every read, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, MakeAccount

RECIPES = "/api/v1/recipes/"
SEARCH = "/api/v1/recipes/search/"


@pytest.fixture
async def ada(make_account: MakeAccount) -> Account:
    return await make_account("ada@example.com")


@pytest.fixture
async def bob(make_account: MakeAccount) -> Account:
    return await make_account("bob@example.com")


async def add(client: httpx.AsyncClient, cook: Account, **fields: Any) -> dict[str, Any]:
    response = await client.post(RECIPES, json=fields, headers=cook.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(answer: httpx.Response, key: str = "items") -> list[int]:
    assert answer.status_code == 200, answer.text
    return [recipe["id"] for recipe in answer.json()[key]]


async def test_the_api_creates_public_recipes_unless_asked(
    client: httpx.AsyncClient, ada: Account
) -> None:
    plain = await add(client, ada, label="Quince paste")
    assert plain["private"] is False
    kept = await add(client, ada, label="Quince jelly", private=True)
    assert kept["private"] is True


async def test_another_cooks_private_recipe_is_not_found_anywhere(
    client: httpx.AsyncClient, ada: Account, bob: Account, superuser: Account
) -> None:
    public = await add(client, ada, label="Walnut bread public", tags=["walnut"])
    secret = await add(client, ada, label="Walnut bread secret", tags=["walnut"], private=True)
    path = f"{RECIPES}{secret['id']}"

    # Its cook and a superuser read it; Bob and a visitor get the 404 of a missing recipe.
    assert (await client.get(path, headers=ada.headers)).json()["label"] == secret["label"]
    assert (await client.get(path, headers=superuser.headers)).status_code == 200
    for headers in (bob.headers, {}, {"Authorization": "Bearer not-a-token"}):
        refused = await client.get(path, headers=headers)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"Recipe with ID {secret['id']} not found"
        adjusted = await client.get(path, params={"servings": 2}, headers=headers)
        assert adjusted.status_code == 404

    # Nor can Bob change or delete it: 404 as for a recipe that is not there.
    assert (
        await client.patch(path, json={"label": "Mine now"}, headers=bob.headers)
    ).status_code == 404
    assert (await client.delete(path, headers=bob.headers)).status_code == 404

    # The list and its total.
    listed = await client.get(RECIPES, headers=bob.headers)
    assert secret["id"] not in ids(listed) and public["id"] in ids(listed)
    everyone = (await client.get(RECIPES, headers=superuser.headers)).json()["total"]
    assert listed.json()["total"] == everyone - 1
    assert (await client.get(RECIPES)).json()["total"] == everyone - 1
    mine = await client.get(RECIPES, headers=ada.headers)
    assert secret["id"] in ids(mine) and mine.json()["total"] == everyone

    # The search, its count, by words and by filter alone, for a visitor and another cook.
    for params in ({"keyword": "walnut bread"}, {"tag": "walnut"}, {}):
        for headers in ({}, bob.headers):
            found = await client.get(SEARCH, params=params, headers=headers)
            assert secret["id"] not in ids(found, "results"), params
            assert public["id"] in ids(found, "results"), params
        own = await client.get(SEARCH, params=params, headers=ada.headers)
        assert secret["id"] in ids(own, "results"), params
    counted = await client.get(SEARCH, params={"keyword": "walnut bread"}, headers=bob.headers)
    assert counted.json()["total"] == 1
    counted = await client.get(SEARCH, params={"keyword": "walnut bread"}, headers=ada.headers)
    assert counted.json()["total"] == 2
    exact = await client.get(SEARCH, params={"keyword": "Walnut bread secret"})
    assert secret["id"] not in ids(exact, "results")


async def test_sharing_and_unsharing_shows_and_hides_at_once(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    recipe = await add(client, ada, label="Fig tart", private=True)
    path = f"{RECIPES}{recipe['id']}"
    # Read once while private (a cached answer would be the danger below).
    assert (await client.get(path)).status_code == 404
    shared = await client.patch(path, json={"private": False}, headers=ada.headers)
    assert shared.status_code == 200 and shared.json()["private"] is False
    assert (await client.get(path)).status_code == 200
    assert (await client.get(path, headers=bob.headers)).status_code == 200
    hidden = await client.patch(path, json={"private": True}, headers=ada.headers)
    assert hidden.json()["private"] is True
    assert (await client.get(path)).status_code == 404
    assert (await client.get(path, headers=bob.headers)).status_code == 404
    # null leaves it as it is, like the other required fields.
    kept = await client.patch(path, json={"private": None}, headers=ada.headers)
    assert kept.json()["private"] is True


async def test_did_you_mean_never_offers_a_private_recipes_word(
    client: httpx.AsyncClient, ada: Account, bob: Account, superuser: Account
) -> None:
    # "Zurbelquist" is in Ada's private recipe only; "zurbelquisd" is one letter off it.
    secret = await add(
        client, ada, label="Zurbelquist stew", ingredients=["2 zurbelquist roots"], private=True
    )
    path = f"{RECIPES}{secret['id']}"

    async def suggested(headers: dict[str, str]) -> Any:
        found = await client.get(SEARCH, params={"keyword": "zurbelquisd"}, headers=headers)
        assert found.status_code == 200, found.text
        answer = found.json()
        # Found only through the correction: nothing without it.
        assert bool(answer["results"]) == (answer["did_you_mean"] is not None), answer
        return answer["did_you_mean"]

    # Neither Bob nor a visitor is told the word; nor its cook (the vocabulary is public words).
    for headers in (bob.headers, {}, ada.headers, superuser.headers):
        assert await suggested(headers) is None
    # Shared, the word is anyone's to be offered...
    await client.patch(path, json={"private": False}, headers=ada.headers)
    assert await suggested(bob.headers) == "zurbelquist"
    assert await suggested({}) == "zurbelquist"
    # ...and private again, it is withdrawn (an edit while private adds nothing either).
    await client.patch(path, json={"private": True}, headers=ada.headers)
    await client.patch(path, json={"label": "Zurbelquist stew, again"}, headers=ada.headers)
    assert await suggested(bob.headers) is None
    assert await suggested({}) is None
    # Deleting the shared recipe removes the word too.
    await client.patch(path, json={"private": False}, headers=ada.headers)
    assert (await client.delete(path, headers=ada.headers)).status_code in (200, 204)
    assert await suggested({}) is None


async def test_my_recipes_lists_the_cooks_private_ones(
    client: httpx.AsyncClient, ada: Account
) -> None:
    secret = await add(client, ada, label="Grandma's stew", private=True)
    mine = await client.get("/api/v1/recipes/my-recipes/", headers=ada.headers)
    assert [r["id"] for r in mine.json()["results"]] == [secret["id"]]
    assert mine.json()["results"][0]["private"] is True


async def test_a_bad_private_value_is_a_422(client: httpx.AsyncClient, ada: Account) -> None:
    answer = await client.post(
        RECIPES, json={"label": "Odd", "private": "perhaps"}, headers=ada.headers
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "private"]
