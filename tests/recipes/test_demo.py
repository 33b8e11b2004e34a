"""``db seed --demo N``: bulk-loaded recipes are searchable and counted like any others."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, text

from recipe_api.db.engine import Database
from recipe_api.recipes.demo import generate, insert_demo_recipes
from recipe_api.recipes.repository import add_recipe, delete_recipe
from tests.conftest import Account

SEARCH = "/api/v1/recipes/search/"
COUNT = 300


def _expected(rows: list[dict[str, Any]], keyword: str, field: str) -> list[str]:
    """Labels of the demo rows whose ``field`` contains ``keyword``, newest first."""
    found = []
    for row in reversed(rows):
        value = row[field]
        text_ = "\n".join(json.loads(value)) if field in ("ingredients", "tags") else value
        if keyword.casefold() in text_.casefold():
            found.append(row["label"])
    return found


async def _labels(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    return [r["label"] for r in response.json()["results"]]


async def _total(client: httpx.AsyncClient) -> int:
    response = await client.get("/api/v1/recipes/", params={"limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


@pytest.fixture
async def demo(superuser: Account, db: Database) -> list[dict[str, Any]]:
    """The superuser's three recipes, then ``COUNT`` demo recipes by the bulk path."""
    assert db.run_sync(insert_demo_recipes, COUNT, submitter_id=superuser.id) == COUNT
    return list(generate(COUNT))


async def test_demo_recipes_are_counted_and_searchable_in_every_field(
    client: httpx.AsyncClient, demo: list[dict[str, Any]]
) -> None:
    assert await _total(client) == 3 + COUNT
    # Labels: a main ingredient word; newest first, the tutorial's two chicken recipes last.
    beef = _expected(demo, "beef", "label")
    assert beef, "the generator should put beef in some label"
    assert await _labels(client, keyword="BEEF", max_results=100) == beef
    # Found only in ingredient lines, in no label.
    minced = _expected(demo, "minced", "ingredients")
    assert minced and not _expected(demo, "minced", "label")
    assert await _labels(client, keyword="minced", max_results=5) == minced[:5]
    # Only in tags, and only in descriptions.
    assert (
        await _labels(client, keyword="make-ahead", max_results=5)
        == (_expected(demo, "make-ahead", "tags")[:5])
    )
    assert (
        await _labels(client, keyword="the thai way", max_results=5)
        == (_expected(demo, "the thai way", "description")[:5])
    )
    assert await _labels(client, keyword="zzqxv") == []
    # The filters read the loaded columns too.
    quick = [
        r["label"] for r in reversed(demo) if r["total_minutes"] <= 10 and "vegan" in r["tags"]
    ]
    assert await _labels(client, tag="Vegan", max_total_minutes=10, max_results=100) == quick[:100]


async def test_the_triggers_work_again_after_a_demo_load(
    client: httpx.AsyncClient, db: Database, superuser: Account, demo: list[dict[str, Any]]
) -> None:
    def add_then_delete(connection: Connection) -> None:
        add_recipe(connection, label="Zzqxv pudding", submitter_id=superuser.id)
        assert delete_recipe(connection, 4)  # the first demo recipe

    await db.run(add_then_delete)
    assert await _total(client) == 3 + COUNT
    assert await _labels(client, keyword="zzqxv") == ["Zzqxv pudding"]
    first = demo[0]["label"]
    assert first not in await _labels(client, keyword=first, max_results=100)


async def test_a_second_load_adds_to_the_first(
    client: httpx.AsyncClient, db: Database, superuser: Account
) -> None:
    # The second load is smaller than the table: no index rebuild on PostgreSQL.
    submitter = superuser.id
    db.run_sync(insert_demo_recipes, COUNT, submitter_id=submitter)
    db.run_sync(insert_demo_recipes, 50, submitter_id=submitter)
    assert await _total(client) == 3 + COUNT + 50
    # The same generator twice: the second load's rows are newer copies of the first 50.
    beef = _expected(list(generate(50)), "beef", "label")
    assert (await _labels(client, keyword="beef", max_results=len(beef))) == beef


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_search_tables_hold_what_the_triggers_would_write(
    db: Database, demo: list[dict[str, Any]]
) -> None:
    # The trigram tables migration 0014 kept (the label's and description's are gone).
    tables = ["recipe_ingredients_fts", "recipe_tags_fts"]

    def contents(connection: Connection) -> dict[str, list[Any]]:
        return {
            name: [
                tuple(row)
                for row in connection.execute(
                    text(f"SELECT rowid, text FROM {name} ORDER BY rowid")
                )
            ]
            for name in tables
        }

    loaded = db.run_sync(contents)
    assert all(len(rows) == 3 + COUNT for rows in loaded.values())
    # The update triggers write each field's index entry again, the way they always do.
    db.run_sync(
        lambda c: c.execute(
            text("UPDATE recipe SET label = label, ingredients = ingredients, tags = tags, "
                 "description = description")
        )
    )  # fmt: skip
    assert db.run_sync(contents) == loaded


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("rebuild", [True, False])
async def test_postgresql_indexes_are_the_same_after_a_load(
    client: httpx.AsyncClient, db: Database, superuser: Account, rebuild: bool
) -> None:
    def indexes(connection: Connection) -> list[Any]:
        statement = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'recipe' ORDER BY 1"
        )
        return [tuple(row) for row in connection.execute(text(statement))]

    before = db.run_sync(indexes)
    db.run_sync(insert_demo_recipes, COUNT, submitter_id=superuser.id, rebuild_indexes=rebuild)
    assert db.run_sync(indexes) == before
    assert await _total(client) == 3 + COUNT
    minced = _expected(list(generate(COUNT)), "minced", "ingredients")
    assert await _labels(client, keyword="minced", max_results=3) == minced[:3]


async def test_a_demo_load_moves_the_recipes_version(db: Database, superuser: Account) -> None:
    # Answers cached per version of the recipes must not outlive a load.
    def version(connection: Connection) -> int:
        return int(connection.execute(text("SELECT version FROM recipe_version")).scalar_one())

    before = db.run_sync(version)
    db.run_sync(insert_demo_recipes, 20, submitter_id=superuser.id)
    assert db.run_sync(version) > before
