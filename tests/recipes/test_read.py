from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.recipes.repository import add_recipe
from recipe_api.users.repository import add_user, get_user_by_email

pytestmark = pytest.mark.usefixtures("seeded")


async def test_get_recipe(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/recipes/1")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == 1
    assert body["label"] == "Chicken Vesuvio"
    assert body["source"] == "Serious Eats"
    assert body["url"].startswith("http://www.seriouseats.com/")
    assert body["submitter_id"] >= 1
    assert {"created_at", "updated_at"} <= body.keys()
    assert float(response.headers["x-process-time"]) >= 0


async def test_missing_recipe_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/recipes/42")
    assert response.status_code == 404
    assert response.json() == {"detail": "Recipe with ID 42 not found"}
    assert "x-process-time" in response.headers


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "0", "-3", "99999999999999999999", "2147483648"])
async def test_bad_recipe_id_is_422(client: httpx.AsyncClient, bad_id: str) -> None:
    response = await client.get(f"/api/v1/recipes/{bad_id}")
    assert response.status_code == 422
    assert response.json()["detail"]


async def _add(db: Database, label: str) -> int:
    def work(connection: Connection) -> int:
        admin = get_user_by_email(connection, "admin@recipeapi.com")
        assert admin is not None
        recipe = add_recipe(
            connection, label=label, source="Test", url="https://e.com/r", submitter_id=admin["id"]
        )
        return int(recipe["id"])

    return await db.run(work)


async def test_search_is_case_insensitive_in_sql(client: httpx.AsyncClient, db: Database) -> None:
    # More non-matching recipes than max_results, added after the matches: the
    # tutorial's filter over the first N rows would miss every match.
    for n in range(15):
        await _add(db, f"Beef stew {n}")
    response = await client.get("/api/v1/recipes/search/", params={"keyword": "CHICKEN"})
    assert response.status_code == 200
    labels = [r["label"] for r in response.json()["results"]]
    assert sorted(labels) == ["Chicken Paprikash", "Chicken Vesuvio"]


async def test_search_limits_and_ranks(client: httpx.AsyncClient, db: Database) -> None:
    await _add(db, "Curry")
    await _add(db, "Curry soup")
    await _add(db, "Thai green curry")
    await _add(db, "Ricecurry bowl")
    response = await client.get(
        "/api/v1/recipes/search/", params={"keyword": "curry", "max_results": 3}
    )
    labels = [r["label"] for r in response.json()["results"]]
    # The exact name, a name starting with the word, then the word in the name
    # (decision 0012); "Ricecurry" is another word.
    assert labels == ["Curry", "Curry soup", "Thai green curry"]
    response = await client.get("/api/v1/recipes/search/", params={"keyword": "curry"})
    labels = [r["label"] for r in response.json()["results"]]
    assert labels[3:] == ["Cauliflower and Tofu Curry Recipe"]


@pytest.mark.parametrize("keyword", ["50%", "a_b"])
async def test_search_wildcards_are_literal(
    client: httpx.AsyncClient, db: Database, keyword: str
) -> None:
    response = await client.get("/api/v1/recipes/search/", params={"keyword": keyword})
    assert response.status_code == 200
    assert response.json()["results"] == []
    await _add(db, f"Soup {keyword} extra")
    response = await client.get("/api/v1/recipes/search/", params={"keyword": keyword})
    assert [r["label"] for r in response.json()["results"]] == [f"Soup {keyword} extra"]


@pytest.mark.parametrize("keyword", ["%%%", "___", "?!."])
async def test_a_keyword_without_words_finds_nothing(
    client: httpx.AsyncClient, db: Database, keyword: str
) -> None:
    await _add(db, f"Soup {keyword} extra")
    response = await client.get("/api/v1/recipes/search/", params={"keyword": keyword})
    assert response.status_code == 200
    assert response.json()["results"] == []


async def test_search_without_keyword_lists_newest(client: httpx.AsyncClient, db: Database) -> None:
    newest = await _add(db, "Newest dish")
    response = await client.get("/api/v1/recipes/search/", params={"max_results": 2})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 2
    assert results[0]["id"] == newest


@pytest.mark.parametrize(
    "params",
    [
        {"keyword": "ch"},
        {"keyword": ""},
        {"keyword": "x" * 257},
        {"keyword": "chi\x00cken"},
        {"max_results": 0},
        {"max_results": 101},
        {"max_results": "many"},
    ],
)
async def test_search_bad_input_is_422(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    response = await client.get("/api/v1/recipes/search/", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_list_recipes_pages_newest_first(client: httpx.AsyncClient, db: Database) -> None:
    ids = [await _add(db, f"Dish {n}") for n in range(5)]
    response = await client.get("/api/v1/recipes/", params={"skip": 0, "limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 8
    assert body["skip"] == 0
    assert body["limit"] == 2
    assert [r["id"] for r in body["items"]] == [ids[-1], ids[-2]]
    response = await client.get("/api/v1/recipes/", params={"skip": 7, "limit": 20})
    assert [r["label"] for r in response.json()["items"]] == ["Chicken Vesuvio"]
    response = await client.get("/api/v1/recipes/")
    assert response.json()["limit"] == 20
    assert len(response.json()["items"]) == 8


@pytest.mark.parametrize(
    "params", [{"limit": 101}, {"limit": 0}, {"skip": -1}, {"skip": "x"}, {"skip": 2**40}]
)
async def test_list_bad_input_is_422(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get("/api/v1/recipes/", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_second_user_recipes_are_counted(client: httpx.AsyncClient, db: Database) -> None:
    def work(connection: Connection) -> str:
        cook = add_user(connection, email="Cook@Example.com")
        add_recipe(
            connection,
            label="Cook's pie",
            source="",
            url="https://e.com/p",
            submitter_id=cook["id"],
        )
        return str(cook["email"])

    assert await db.run(work) == "Cook@example.com"
    response = await client.get("/api/v1/recipes/")
    assert response.json()["total"] == 4
