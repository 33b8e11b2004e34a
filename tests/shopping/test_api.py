"""The shopping list through /api/v1/shopping-list, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, MakeAccount
from tests.mealplan.test_api import add_recipe, plan

LIST = "/api/v1/shopping-list"
DAL = [
    "For the dal:",
    "200 g red lentils",
    "2 cloves garlic, minced",
    "1 onion, chopped",
    "1 cup water",
    "Salt",
]
CURRY = ["0.5 kg red lentils", "3 garlic cloves", "2 tbsp water", "1 tsp salt", "2 onions"]


@pytest.fixture
async def ada(make_account: MakeAccount) -> Account:
    return await make_account("ada@example.com")


def lines(body: dict[str, Any]) -> dict[str, list[str]]:
    return {group["aisle"]: [line["text"] for line in group["lines"]] for group in body["aisles"]}


def line_ids(body: dict[str, Any]) -> dict[str, int]:
    return {line["text"]: line["id"] for group in body["aisles"] for line in group["lines"]}


async def test_a_week_of_the_plan_becomes_one_merged_list(
    client: httpx.AsyncClient, ada: Account
) -> None:
    dal = await add_recipe(client, ada, "Dal", servings="2", ingredients=DAL)
    curry = await add_recipe(client, ada, "Curry", servings="4", ingredients=CURRY)
    await plan(client, ada, dal["id"], "2026-12-07", "dinner", servings=2)
    await plan(client, ada, curry["id"], "2026-12-08", "dinner", servings=4)
    # Outside the range: not on the list.
    await plan(client, ada, curry["id"], "2026-12-14", "dinner", servings=40)

    built = await client.post(
        f"{LIST}/from-plan", json={"start": "2026-12-07", "end": "2026-12-13"}, headers=ada.headers
    )
    assert built.status_code == 200, built.text
    assert lines(built.json()) == {
        "produce": ["5 cloves garlic", "3 onions"],
        "pantry": ["700 g red lentils", "1 1/8 cups water"],
        "spices": ["1 tsp salt"],
    }
    assert built.json()["total"] == 5 and built.json()["checked"] == 0
    assert (await client.get(LIST, headers=ada.headers)).json() == built.json()


async def test_servings_scale_each_entry(client: httpx.AsyncClient, ada: Account) -> None:
    dal = await add_recipe(client, ada, "Dal", servings="Serves 2", ingredients=DAL)
    await plan(client, ada, dal["id"], "2026-12-07", "dinner", servings=6)
    await plan(client, ada, dal["id"], "2026-12-09", "lunch", servings=1)
    built = await client.post(
        f"{LIST}/from-plan", json={"start": "2026-12-07", "end": "2026-12-09"}, headers=ada.headers
    )
    # 3 times and half the recipe: 3.5 times 200 g, 2 cloves, 1 onion, 1 cup.
    assert lines(built.json()) == {
        "produce": ["7 cloves garlic", "3 1/2 onions"],
        "pantry": ["700 g red lentils", "3 1/2 cups water"],
        "spices": ["salt"],
    }


async def test_ticks_free_lines_aisles_and_a_rebuild(
    client: httpx.AsyncClient, ada: Account
) -> None:
    dal = await add_recipe(client, ada, "Dal", servings="2", ingredients=DAL)
    await plan(client, ada, dal["id"], "2026-12-07", "dinner", servings=2)
    span = {"start": "2026-12-07", "end": "2026-12-07"}
    built = (await client.post(f"{LIST}/from-plan", json=span, headers=ada.headers)).json()
    ids = line_ids(built)

    ticked = await client.patch(
        f"{LIST}/lines/{ids['2 cloves garlic']}", json={"checked": True}, headers=ada.headers
    )
    assert ticked.status_code == 200 and ticked.json()["checked"] is True
    typed = await client.post(
        f"{LIST}/lines", json={"text": "  Kitchen roll "}, headers=ada.headers
    )
    assert typed.status_code == 201
    assert typed.json() | {"id": 0} == {
        "id": 0,
        "text": "Kitchen roll",
        "food": "",
        "aisle": "bakery",  # "roll"; the cook moves it
        "checked": False,
        "manual": True,
    }
    moved = await client.patch(
        f"{LIST}/lines/{typed.json()['id']}", json={"aisle": "other"}, headers=ada.headers
    )
    assert moved.json()["aisle"] == "other"
    # Lentils to "other": remembered for the food, on this list and the next.
    await client.patch(
        f"{LIST}/lines/{ids['200 g red lentils']}", json={"aisle": "other"}, headers=ada.headers
    )

    again = (await client.post(f"{LIST}/from-plan", json=span, headers=ada.headers)).json()
    assert lines(again) == {
        "produce": ["2 cloves garlic", "1 onion"],
        "pantry": ["1 cup water"],
        "spices": ["salt"],
        "other": ["Kitchen roll", "200 g red lentils"],
    }
    # Garlic bought already (as much as now needed): still ticked after the rebuild.
    checked = [line["text"] for g in again["aisles"] for line in g["lines"] if line["checked"]]
    assert checked == ["2 cloves garlic"]
    assert again["checked"] == 1

    # More of it needed now: to buy again.
    await plan(client, ada, dal["id"], "2026-12-07", "lunch", servings=2)
    more = (await client.post(f"{LIST}/from-plan", json=span, headers=ada.headers)).json()
    assert more["checked"] == 0 and "4 cloves garlic" in lines(more)["produce"]

    cleared = await client.delete(f"{LIST}/lines", params={"checked": True}, headers=ada.headers)
    assert cleared.status_code == 204
    assert (await client.get(LIST, headers=ada.headers)).json()["total"] == 6
    await client.delete(f"{LIST}/lines", headers=ada.headers)
    assert (await client.get(LIST, headers=ada.headers)).json() == {
        "aisles": [],
        "total": 0,
        "checked": 0,
    }


async def test_a_single_recipe_merges_into_the_list(
    client: httpx.AsyncClient, ada: Account
) -> None:
    dal = await add_recipe(client, ada, "Dal", servings="2", ingredients=DAL)
    curry = await add_recipe(client, ada, "Curry", servings="4", ingredients=CURRY)
    first = await client.post(
        f"{LIST}/from-recipe", json={"recipe_id": dal["id"], "servings": 4}, headers=ada.headers
    )
    assert first.status_code == 200, first.text
    garlic = line_ids(first.json())["4 cloves garlic"]
    await client.patch(f"{LIST}/lines/{garlic}", json={"checked": True}, headers=ada.headers)
    second = await client.post(
        f"{LIST}/from-recipe", json={"recipe_id": curry["id"]}, headers=ada.headers
    )
    body = second.json()
    assert lines(body) == {
        "produce": ["7 cloves garlic", "4 onions"],
        "pantry": ["900 g red lentils", "2 1/8 cups water"],
        "spices": ["1 tsp salt"],  # "Salt" of the dal went: an amount of it came
    }
    # Ticked before, more of it now: to buy again.
    assert body["checked"] == 0
    missing = await client.post(
        f"{LIST}/from-recipe", json={"recipe_id": 999_999}, headers=ada.headers
    )
    assert missing.status_code == 404


async def test_another_cooks_lines_are_not_found(
    client: httpx.AsyncClient, ada: Account, make_account: MakeAccount
) -> None:
    bob = await make_account("bob@example.com")
    line = (await client.post(f"{LIST}/lines", json={"text": "eggs"}, headers=ada.headers)).json()
    assert line["aisle"] == "dairy"
    url = f"{LIST}/lines/{line['id']}"
    assert (await client.patch(url, json={"checked": True}, headers=bob.headers)).status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    assert (await client.get(LIST, headers=bob.headers)).json()["total"] == 0
    assert (await client.delete(url, headers=ada.headers)).status_code == 204
    assert (await client.get(LIST)).status_code == 401


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/from-plan", {"start": "2026-12-13", "end": "2026-12-07"}),
        ("/from-plan", {"start": "2026-12-01", "end": "2027-01-01"}),
        ("/from-plan", {"start": "soon"}),
        ("/from-recipe", {"recipe_id": 0}),
        ("/lines", {"text": "   "}),
        ("/lines", {"text": "x" * 201}),
        ("/lines", {"text": "milk", "aisle": "fridge"}),
    ],
)
async def test_bad_requests_are_422(
    client: httpx.AsyncClient, ada: Account, path: str, body: dict[str, Any]
) -> None:
    response = await client.post(f"{LIST}{path}", json=body, headers=ada.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
