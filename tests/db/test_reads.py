"""Database.read_row and read_statement: the driver's statement, SQLAlchemy's column types.

On both databases (the ``db`` fixture runs each test on SQLite and on
PostgreSQL): the rows are what a unit of work run by ``read`` would have
returned, a statement is compiled once per database, and on PostgreSQL a read
whose pooled connection was killed runs again on a fresh one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
import pytest
from sqlalchemy import Connection, bindparam, make_url, select

from recipe_api.db.engine import Database
from recipe_api.recipes import repository
from recipe_api.recipes.models import recipe_table
from recipe_api.users.models import user_table
from tests.conftest import _admin_dsn


async def _add_recipe(db: Database) -> int:
    email = f"reads-{uuid.uuid4().hex[:12]}@example.com"

    def add(connection: Connection) -> int:
        user = connection.execute(
            user_table.insert().values(email=email, email_key=email)
        ).inserted_primary_key
        assert user is not None
        row = connection.execute(
            recipe_table.insert().values(
                label="Lentil soup",
                source="Home",
                url="",
                submitter_id=user[0],
                ingredients=["1 cup lentils", "2 l water"],
                tags=["soup"],
            )
        ).inserted_primary_key
        assert row is not None
        return int(row[0])

    return await db.run(add)


async def test_read_row_gives_what_a_unit_of_work_reads(db: Database) -> None:
    recipe_id = await _add_recipe(db)
    raw = await db.read_row(repository.GET_RECIPE, {"recipe_id": recipe_id})
    through_read = await db.read(repository.get_recipe, recipe_id)
    assert raw is not None and through_read is not None
    assert dict(raw) == dict(through_read)
    # Column types applied: JSON decoded, timestamps as aware datetimes.
    assert raw["ingredients"] == ["1 cup lentils", "2 l water"]
    assert isinstance(raw["created_at"], datetime) and raw["created_at"].tzinfo is not None
    assert await db.read_row(repository.GET_RECIPE, {"recipe_id": recipe_id + 1000}) is None


async def test_read_statement_rows_and_constants(db: Database) -> None:
    first = await _add_recipe(db)
    labels = (
        select(recipe_table.c.id, recipe_table.c.label)
        .where(recipe_table.c.id >= bindparam("from_id"), recipe_table.c.label != "nothing")
        .order_by(recipe_table.c.id)
    )
    rows = await db.read_statement(labels, {"from_id": first})
    assert [dict(row) for row in rows] == [{"id": first, "label": "Lentil soup"}]
    assert await db.read_statement(labels, {"from_id": first + 1}) == []
    # Compiled once per process for this database's driver, then reused.
    prepared = db._prepared(labels)
    await db.read_statement(labels, {"from_id": first})
    assert db._prepared(labels) is prepared


async def test_read_row_runs_again_on_a_fresh_connection(postgresql_url: str) -> None:
    db = Database(postgresql_url)
    try:
        recipe_id = await _add_recipe(db)
        assert await db.read_row(repository.GET_RECIPE, {"recipe_id": recipe_id}) is not None
        name = make_url(postgresql_url).database
        with psycopg.connect(_admin_dsn(postgresql_url), autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        row = await db.read_row(repository.GET_RECIPE, {"recipe_id": recipe_id})
        assert row is not None and row["label"] == "Lentil soup"
    finally:
        await db.aclose()


async def test_read_row_replaces_a_pooled_connection_due_for_recycling(
    postgresql_url: str,
) -> None:
    """The checkout without a greenlet meets a connection to replace: it is replaced in one."""
    from sqlalchemy.util import greenlet_spawn

    db = Database(postgresql_url)
    try:
        recipe_id = await _add_recipe(db)
        assert db.async_engine is not None
        engine = db.async_engine.sync_engine
        assert await db.read_row(repository.GET_RECIPE, {"recipe_id": recipe_id}) is not None
        pooled = await greenlet_spawn(engine.raw_connection)
        old = pooled.driver_connection
        assert old is not None
        # As pool_recycle does to an old connection: replaced at its next checkout.
        pooled.invalidate(soft=True)
        pooled.close()
        for _ in range(3):
            row = await db.read_row(repository.GET_RECIPE, {"recipe_id": recipe_id})
            assert row is not None and row["label"] == "Lentil soup"
        pooled = await greenlet_spawn(engine.raw_connection)
        assert pooled.driver_connection is not old
        assert old.is_closed()
        pooled.close()
    finally:
        await db.aclose()


@pytest.mark.parametrize("needle", ["LENTIL", "lentil", "Ärger"])
def test_casefold_contains_folds_any_case(needle: str) -> None:
    from recipe_api.recipes.search.sqlite import casefold_contains

    haystack = "1 cup lentils, ärger"
    assert casefold_contains(haystack, needle) == 1
    assert casefold_contains(haystack, "beans") == 0
    assert casefold_contains(None, needle) is None
