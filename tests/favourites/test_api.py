"""Favourites through /api/v1, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, MakeAccount

RECIPES = "/api/v1/recipes/"
FAVOURITES = "/api/v1/favourites/"


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


async def favourites(client: httpx.AsyncClient, cook: Account, **params: Any) -> dict[str, Any]:
    answer = await client.get(FAVOURITES, params=params, headers=cook.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def listed(page: dict[str, Any]) -> list[int]:
    return [item["recipe"]["id"] for item in page["items"]]


async def test_marked_listed_newest_first_and_unmarked(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    first = await add(client, bob, label="Bob's borscht")
    second = await add(client, ada, label="Ada's apple cake", private=True)
    for recipe in (first, second):
        marked = await client.put(f"{RECIPES}{recipe['id']}/favourite", headers=ada.headers)
        assert marked.status_code == 204, marked.text
    # Twice is once.
    again = await client.put(f"{RECIPES}{first['id']}/favourite", headers=ada.headers)
    assert again.status_code == 204
    page = await favourites(client, ada)
    assert listed(page) == [second["id"], first["id"]]
    assert page["items"][0]["recipe"]["label"] == "Ada's apple cake"
    assert page["next"] is None
    # Bob's list is his own.
    assert listed(await favourites(client, bob)) == []

    gone = await client.delete(f"{RECIPES}{first['id']}/favourite", headers=ada.headers)
    assert gone.status_code == 204
    assert listed(await favourites(client, ada)) == [second["id"]]
    # Unmarking what is not marked is no error.
    again = await client.delete(f"{RECIPES}{first['id']}/favourite", headers=ada.headers)
    assert again.status_code == 204


async def test_a_favourite_made_private_by_its_cook_disappears_and_comes_back(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    soup = await add(client, bob, label="Bob's soup")
    stew = await add(client, bob, label="Bob's stew")
    for recipe in (soup, stew):
        await client.put(f"{RECIPES}{recipe['id']}/favourite", headers=ada.headers)
    await client.patch(f"{RECIPES}{soup['id']}", json={"private": True}, headers=bob.headers)
    assert listed(await favourites(client, ada)) == [stew["id"]]
    await client.patch(f"{RECIPES}{soup['id']}", json={"private": False}, headers=bob.headers)
    assert listed(await favourites(client, ada)) == [stew["id"], soup["id"]]


async def test_only_a_recipe_you_can_see_can_be_marked(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    secret = await add(client, bob, label="Bob's secret", private=True)
    refused = await client.put(f"{RECIPES}{secret['id']}/favourite", headers=ada.headers)
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"Recipe with ID {secret['id']} not found"
    missing = await client.put(f"{RECIPES}999999/favourite", headers=ada.headers)
    assert missing.status_code == 404
    assert (await client.put(f"{RECIPES}{secret['id']}/favourite")).status_code == 401
    assert (await client.get(FAVOURITES)).status_code == 401


async def test_pages_follow_next_through_every_favourite(
    client: httpx.AsyncClient, ada: Account
) -> None:
    made = [await add(client, ada, label=f"Recipe {n}") for n in range(7)]
    for recipe in made:
        await client.put(f"{RECIPES}{recipe['id']}/favourite", headers=ada.headers)
    seen: list[int] = []
    page = await favourites(client, ada, limit=3)
    while True:
        seen += listed(page)
        if page["next"] is None:
            break
        answer = await client.get(page["next"], headers=ada.headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
    assert seen == [recipe["id"] for recipe in reversed(made)]


async def test_a_cursor_not_given_out_is_a_400(client: httpx.AsyncClient, ada: Account) -> None:
    answer = await client.get(
        FAVOURITES, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=ada.headers
    )
    assert answer.status_code == 400
    assert "cursor" in answer.json()["detail"]


async def test_deleting_the_recipe_removes_its_favourites(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    soup = await add(client, bob, label="Bob's soup")
    await client.put(f"{RECIPES}{soup['id']}/favourite", headers=ada.headers)
    assert (await client.delete(f"{RECIPES}{soup['id']}", headers=bob.headers)).status_code == 204
    assert listed(await favourites(client, ada)) == []
