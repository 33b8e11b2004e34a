"""The meal plan through /api/v1/meal-plan, on both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, MakeAccount

PLAN = "/api/v1/meal-plan"


@pytest.fixture
async def ada(make_account: MakeAccount) -> Account:
    return await make_account("ada@example.com")


@pytest.fixture
async def bob(make_account: MakeAccount) -> Account:
    return await make_account("bob@example.com")


async def add_recipe(
    client: httpx.AsyncClient, cook: Account, label: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/recipes/", json={"label": label, **fields}, headers=cook.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def plan(
    client: httpx.AsyncClient, cook: Account, recipe_id: int, day: str, meal: str, **more: Any
) -> httpx.Response:
    return await client.post(
        f"{PLAN}/entries",
        json={"recipe_id": recipe_id, "day": day, "meal": meal, **more},
        headers=cook.headers,
    )


async def test_a_week_is_planned_moved_and_cleared(client: httpx.AsyncClient, ada: Account) -> None:
    dal = await add_recipe(client, ada, "Red lentil dal", servings="4 bowls")
    loaf = await add_recipe(client, ada, "Soda bread", servings="a loaf")

    added = await plan(client, ada, dal["id"], "2026-12-09", "dinner")
    assert added.status_code == 201, added.text
    entry = added.json()
    # The recipe's own servings when none are given; 2 when the recipe has no number.
    assert entry["servings"] == 4 and entry["recipe_label"] == "Red lentil dal"
    bread = (await plan(client, ada, loaf["id"], "2026-12-09", "breakfast")).json()
    assert bread["servings"] == 2
    late = await plan(client, ada, dal["id"], "2026-12-13", "lunch", servings=6)
    assert late.json()["servings"] == 6
    # Another week, not shown in this one.
    await plan(client, ada, dal["id"], "2026-12-14", "dinner")

    week = (await client.get(PLAN, params={"week": "2026-W50"}, headers=ada.headers)).json()
    assert week["start"] == "2026-12-07" and week["end"] == "2026-12-13"
    assert (week["previous"], week["next"]) == ("2026-W49", "2026-W51")
    # By day, then meal (breakfast before dinner), whatever the order they were added.
    assert [(e["day"], e["meal"]) for e in week["entries"]] == [
        ("2026-12-09", "breakfast"),
        ("2026-12-09", "dinner"),
        ("2026-12-13", "lunch"),
    ]

    moved = await client.patch(
        f"{PLAN}/entries/{entry['id']}",
        json={"day": "2026-12-10", "meal": "lunch", "servings": 8},
        headers=ada.headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json() | {"id": 0} == {
        "id": 0,
        "recipe_id": dal["id"],
        "recipe_label": "Red lentil dal",
        "day": "2026-12-10",
        "meal": "lunch",
        "servings": 8,
        "available": True,
    }
    # Only the fields sent change.
    again = await client.patch(
        f"{PLAN}/entries/{entry['id']}", json={"servings": 3}, headers=ada.headers
    )
    assert (again.json()["day"], again.json()["meal"], again.json()["servings"]) == (
        "2026-12-10",
        "lunch",
        3,
    )

    gone = await client.delete(f"{PLAN}/entries/{entry['id']}", headers=ada.headers)
    assert gone.status_code == 204
    assert (
        await client.delete(f"{PLAN}/entries/{entry['id']}", headers=ada.headers)
    ).status_code == 404
    week = (await client.get(PLAN, params={"week": "2026-W50"}, headers=ada.headers)).json()
    assert [e["recipe_label"] for e in week["entries"]] == ["Soda bread", "Red lentil dal"]


async def test_a_plan_is_its_cooks_own(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    dal = await add_recipe(client, ada, "Red lentil dal")
    entry = (await plan(client, ada, dal["id"], "2026-12-09", "dinner")).json()
    # Bob may plan Ada's (public) recipe, on his own plan.
    assert (await plan(client, bob, dal["id"], "2026-12-09", "lunch")).status_code == 201
    bobs = (await client.get(PLAN, params={"week": "2026-W50"}, headers=bob.headers)).json()
    assert [e["meal"] for e in bobs["entries"]] == ["lunch"]
    # Ada's entry is not found for Bob: neither changed nor removed.
    url = f"{PLAN}/entries/{entry['id']}"
    changed = await client.patch(url, json={"servings": 1}, headers=bob.headers)
    assert changed.status_code == 404
    assert changed.json() == {"detail": f"No entry with ID {entry['id']} in your meal plan"}
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    adas = (await client.get(PLAN, params={"week": "2026-W50"}, headers=ada.headers)).json()
    assert [e["servings"] for e in adas["entries"]] == [entry["servings"]]
    # Without a token, nothing.
    assert (await client.get(PLAN)).status_code == 401
    assert (await client.post(f"{PLAN}/entries", json={})).status_code == 401


async def test_a_deleted_recipe_leaves_the_plan(client: httpx.AsyncClient, ada: Account) -> None:
    dal = await add_recipe(client, ada, "Red lentil dal")
    await plan(client, ada, dal["id"], "2026-12-09", "dinner")
    assert (
        await client.delete(f"/api/v1/recipes/{dal['id']}", headers=ada.headers)
    ).status_code in (200, 204)
    week = (await client.get(PLAN, params={"week": "2026-W50"}, headers=ada.headers)).json()
    assert week["entries"] == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"recipe_id": 999_999, "day": "2026-12-09", "meal": "dinner"}, 404),
        ({"day": "2026-12-09", "meal": "dinner"}, 422),
        ({"recipe_id": 1, "day": "2026-12-09", "meal": "elevenses"}, 422),
        ({"recipe_id": 1, "day": "9 December", "meal": "dinner"}, 422),
        ({"recipe_id": 1, "day": 0, "meal": "dinner"}, 422),  # not 1 January 1970
        ({"recipe_id": 1, "day": "2026-12-09", "meal": "dinner", "servings": 0}, 422),
        ({"recipe_id": 1, "day": "2026-12-09", "meal": "dinner", "servings": 101}, 422),
    ],
)
async def test_bad_entries_are_refused(
    client: httpx.AsyncClient, ada: Account, body: dict[str, Any], status: int
) -> None:
    await add_recipe(client, ada, "Anything")
    response = await client.post(f"{PLAN}/entries", json=body, headers=ada.headers)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


@pytest.mark.parametrize("week", ["2026-W54", "2026-49", "1999-W01", "2026-W00"])
async def test_a_week_that_is_not_one_is_422(
    client: httpx.AsyncClient, ada: Account, week: str
) -> None:
    response = await client.get(PLAN, params={"week": week}, headers=ada.headers)
    assert response.status_code == 422


async def test_week_53_only_in_years_that_have_it(client: httpx.AsyncClient, ada: Account) -> None:
    ok = await client.get(PLAN, params={"week": "2026-W53"}, headers=ada.headers)
    assert ok.status_code == 200 and ok.json()["start"] == "2026-12-28"
    refused = await client.get(PLAN, params={"week": "2025-W53"}, headers=ada.headers)
    assert refused.status_code == 422
    assert refused.json() == {"detail": "2025-W53 is not a week: use the ISO form, like 2026-W49"}


async def test_a_day_holds_twenty_entries(client: httpx.AsyncClient, ada: Account) -> None:
    dal = await add_recipe(client, ada, "Red lentil dal")
    for _ in range(20):
        assert (await plan(client, ada, dal["id"], "2026-12-09", "snack")).status_code == 201
    full = await plan(client, ada, dal["id"], "2026-12-09", "dinner")
    assert full.status_code == 409
    assert full.json()["detail"] == "Wednesday 9 December already has 20 entries"
    other = (await plan(client, ada, dal["id"], "2026-12-10", "dinner")).json()
    moved = await client.patch(
        f"{PLAN}/entries/{other['id']}", json={"day": "2026-12-09"}, headers=ada.headers
    )
    assert moved.status_code == 409


async def test_a_recipe_made_private_by_its_cook_is_unavailable_on_the_plan(
    client: httpx.AsyncClient, ada: Account, bob: Account
) -> None:
    soup = await add_recipe(client, bob, "Bob's soup", ingredients=["2 onions"])
    dal = await add_recipe(client, ada, "Ada's dal", ingredients=["200 g red lentils"])
    await plan(client, ada, soup["id"], "2026-12-09", "dinner")
    await plan(client, ada, dal["id"], "2026-12-10", "dinner")
    hidden = await client.patch(
        f"/api/v1/recipes/{soup['id']}", json={"private": True}, headers=bob.headers
    )
    assert hidden.status_code == 200
    week = await client.get(PLAN, params={"week": "2026-W50"}, headers=ada.headers)
    assert week.status_code == 200, week.text
    entries = week.json()["entries"]
    assert [(e["recipe_label"], e["available"]) for e in entries] == [
        ("A recipe its cook no longer shares", False),
        ("Ada's dal", True),
    ]
    # Left off the shopping list, which is built from the rest.
    built = await client.post(
        "/api/v1/shopping-list/from-plan",
        json={"start": "2026-12-07", "end": "2026-12-13"},
        headers=ada.headers,
    )
    assert built.status_code == 200, built.text
    assert "onion" not in built.text and "lentils" in built.text
    # It can still be removed; it cannot be planned again.
    gone = await client.delete(f"{PLAN}/entries/{entries[0]['id']}", headers=ada.headers)
    assert gone.status_code == 204
    again = await plan(client, ada, soup["id"], "2026-12-11", "dinner")
    assert again.status_code == 404
    # Its own cook's private recipes plan as before.
    mine = await add_recipe(client, bob, "Bob's secret stew", private=True)
    assert (await plan(client, bob, mine["id"], "2026-12-11", "dinner")).status_code == 201
