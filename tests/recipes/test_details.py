"""The recipe's details: written, read back, changed, refused when malformed, on both backends."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account, MakeAccount

pytestmark = pytest.mark.usefixtures("seeded")

FULL = {
    "label": "Crème brûlée",
    "description": "A custard under a glass of caramel.",
    "ingredients": ["500 ml double cream", "5 egg yolks", "100 g caster sugar", "1 vanilla pod"],
    "instructions": ["Heat the cream.", "Whisk into the yolks.", "Bake, chill, torch."],
    "tags": ["Dessert", "FRENCH", "dessert", "  make   ahead "],
    "servings": "6 ramekins",
    "prep_minutes": 20,
    "cook_minutes": 40,
    "image_url": "https://example.com/creme.jpg",
    "cuisine": "French",
    "category": "Dessert",
}


@pytest.fixture
async def cook(seeded: Account, make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


async def test_details_round_trip(client: httpx.AsyncClient, cook: Account) -> None:
    response = await client.post("/api/v1/recipes/", json=FULL, headers=cook.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ingredients"] == FULL["ingredients"]
    assert body["instructions"] == FULL["instructions"]
    # Tags are one spelling each, first one kept, in order.
    assert body["tags"] == ["dessert", "french", "make ahead"]
    assert body["total_minutes"] == 60
    assert body["url"] == "" and body["source"] == ""
    assert (body["servings"], body["cuisine"], body["category"]) == (
        "6 ramekins",
        "French",
        "Dessert",
    )
    assert body["image_url"] == "https://example.com/creme.jpg"
    assert (await client.get(f"/api/v1/recipes/{body['id']}")).json() == body


async def test_v1_body_answers_the_new_fields_empty(
    client: httpx.AsyncClient, cook: Account
) -> None:
    old = {"label": "Shakshuka", "source": "Home", "url": "https://example.com/shakshuka"}
    body = (await client.post("/api/v1/recipes/", json=old, headers=cook.headers)).json()
    assert body["ingredients"] == [] and body["instructions"] == [] and body["tags"] == []
    assert body["description"] == "" and body["servings"] == ""
    assert body["prep_minutes"] is None and body["total_minutes"] is None
    assert body["cuisine"] is None and body["image_url"] is None


async def test_seed_recipes_can_be_cooked(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/recipes/1")).json()
    assert body["label"] == "Chicken Vesuvio"
    assert len(body["ingredients"]) >= 5 and len(body["instructions"]) >= 3
    assert "chicken" in body["tags"]


async def test_update_details(client: httpx.AsyncClient, cook: Account) -> None:
    created = (await client.post("/api/v1/recipes/", json=FULL, headers=cook.headers)).json()
    url = f"/api/v1/recipes/{created['id']}"
    response = await client.patch(
        url,
        json={"ingredients": ["1 egg"], "cook_minutes": 10, "cuisine": None, "label": None},
        headers=cook.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ingredients"] == ["1 egg"]
    # The total follows its parts; null clears an optional field, leaves a required one.
    assert body["total_minutes"] == 30
    assert body["cuisine"] is None
    assert body["label"] == "Crème brûlée"
    assert body["instructions"] == FULL["instructions"]


@pytest.mark.parametrize(
    "change",
    [
        {"ingredients": "2 eggs"},
        {"ingredients": ["x" * 501]},
        {"ingredients": ["egg"] * 201},
        {"instructions": ["ok", "bad\x00step"]},
        {"tags": ["t" * 65]},
        {"tags": ["x"] * 31},
        {"prep_minutes": -1},
        {"cook_minutes": 100_001},
        {"image_url": "javascript:alert(1)"},
        {"description": "d" * 10_001},
        {"cuisine": "c" * 257},
    ],
)
async def test_bad_details_are_422(
    client: httpx.AsyncClient, cook: Account, change: dict[str, object]
) -> None:
    response = await client.post("/api/v1/recipes/", json={**FULL, **change}, headers=cook.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_blank_lines_and_tags_are_dropped(client: httpx.AsyncClient, cook: Account) -> None:
    body = {"label": "Blanks", "ingredients": ["1 egg", " ", "\u000b"], "instructions": [""],
            "tags": ["  ", "Eggs"]}  # fmt: skip
    response = await client.post("/api/v1/recipes/", json=body, headers=cook.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["ingredients"], created["instructions"], created["tags"]) == (
        ["1 egg"],
        [],
        ["eggs"],
    )
