"""Queries on recipes. No function here commits: ``Database.run`` does.

The read statements are built once where they can be: on SQLite, building a
``select()`` per call costs more than running it.
The search has its own package, ``recipes/search``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    RowMapping,
    Select,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from recipe_api.recipes.models import recipe_count_table, recipe_table
from recipe_api.users.models import user_table

_c = recipe_table.c
_NEWEST_FIRST = (_c.created_at.desc(), _c.id.desc())

_GET = select(recipe_table).where(_c.id == bindparam("recipe_id"))
# The recipe page shows who submitted it: one round trip for both.
_GET_WITH_SUBMITTER = (
    select(recipe_table, user_table.c.first_name, user_table.c.surname)
    .join(user_table, user_table.c.id == _c.submitter_id)
    .where(_c.id == bindparam("recipe_id"))
)
_TOTAL = select(recipe_count_table.c.recipes).where(recipe_count_table.c.id == 1)
_OFFSET_PAGE = (
    select(recipe_table)
    .order_by(*_NEWEST_FIRST)
    .offset(bindparam("skip"))
    .limit(bindparam("limit"))
)
# After a cursor: the row it names is read inside the query, so the comparison
# is between stored values (SQLite keeps timestamps as text of varying
# precision); the cursor's own timestamp serves only when that row is gone.
_AFTER_ROW = select(_c.created_at).where(_c.id == bindparam("after_id")).scalar_subquery()


def _cursor_page(fallback_type: Any) -> Select[Any]:
    fallback = bindparam("after_created_at", type_=fallback_type)
    return (
        select(recipe_table)
        .where(
            tuple_(_c.created_at, _c.id)
            < tuple_(func.coalesce(_AFTER_ROW, fallback), bindparam("after_id", type_=Integer()))
        )
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("limit"))
    )


_CURSOR_PAGE = _cursor_page(_c.created_at.type)
# SQLite compares the text it stored: CURRENT_TIMESTAMP's form, without fractions.
_CURSOR_PAGE_SQLITE = _cursor_page(String())
_NEWEST = select(recipe_table).order_by(*_NEWEST_FIRST).limit(bindparam("limit"))

_BY_SUBMITTER = (
    select(recipe_table)
    .where(_c.submitter_id == bindparam("submitter_id"))
    .order_by(*_NEWEST_FIRST)
    .offset(bindparam("skip"))
    .limit(bindparam("limit"))
)
_COUNT_BY_SUBMITTER = select(func.count()).where(_c.submitter_id == bindparam("submitter_id"))

# Keyset paging for the home page: a page starts next to a known recipe, so a
# deep page costs what the first one does (no OFFSET scan).
_CURSOR = select(recipe_table.c.created_at).where(_c.id == bindparam("cursor")).scalar_subquery()
_OLDER = (
    select(recipe_table)
    .where(
        or_(_c.created_at < _CURSOR, and_(_c.created_at == _CURSOR, _c.id < bindparam("cursor")))
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
_NEWER = (
    select(recipe_table)
    .where(
        or_(_c.created_at > _CURSOR, and_(_c.created_at == _CURSOR, _c.id > bindparam("cursor")))
    )
    .order_by(_c.created_at.asc(), _c.id.asc())
    .limit(bindparam("limit"))
)


def get_recipe(connection: Connection, recipe_id: int) -> RowMapping | None:
    return connection.execute(_GET, {"recipe_id": recipe_id}).mappings().first()


def get_recipe_with_submitter(connection: Connection, recipe_id: int) -> RowMapping | None:
    return connection.execute(_GET_WITH_SUBMITTER, {"recipe_id": recipe_id}).mappings().first()


def list_recipes_by_submitter(
    connection: Connection, submitter_id: int, *, skip: int, limit: int
) -> tuple[Sequence[RowMapping], int]:
    params = {"submitter_id": submitter_id, "skip": skip, "limit": limit}
    items = connection.execute(_BY_SUBMITTER, params).mappings().all()
    total = connection.execute(_COUNT_BY_SUBMITTER, params).scalar_one()
    return items, total


def submitted_with_url(connection: Connection, submitter_id: int, url: str) -> int | None:
    """The id of one of the submitter's recipes at ``url`` (through the submitter's index)."""
    statement = (
        select(_c.id).where(_c.submitter_id == submitter_id, _c.url == url).order_by(_c.id).limit(1)
    )
    return connection.execute(statement).scalar()


def recipes_older_than(
    connection: Connection, cursor: int | None, *, limit: int
) -> Sequence[RowMapping]:
    """Newest first, starting after recipe ``cursor`` (from the newest without one)."""
    if cursor is None:
        return connection.execute(_NEWEST, {"limit": limit}).mappings().all()
    return connection.execute(_OLDER, {"cursor": cursor, "limit": limit}).mappings().all()


def recipes_newer_than(connection: Connection, cursor: int, *, limit: int) -> Sequence[RowMapping]:
    """The ``limit`` recipes just newer than recipe ``cursor``, newest first."""
    rows = connection.execute(_NEWER, {"cursor": cursor, "limit": limit}).mappings().all()
    return rows[::-1]


def count_recipes(connection: Connection) -> int:
    """The number of recipes, from the counter the triggers keep: one row read."""
    total = connection.execute(_TOTAL).scalar()
    return int(total or 0)


def list_recipes(connection: Connection, *, skip: int, limit: int) -> Sequence[RowMapping]:
    return connection.execute(_OFFSET_PAGE, {"skip": skip, "limit": limit}).mappings().all()


def list_recipes_after(
    connection: Connection, *, after_id: int, after_created_at: datetime, limit: int
) -> Sequence[RowMapping]:
    """The page after the recipe ``after_id``, newest first: an index range, never an offset."""
    if connection.dialect.name == "sqlite":
        stamp = after_created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if after_created_at.microsecond:
            stamp += after_created_at.strftime(".%f")
        params = {"after_id": after_id, "after_created_at": stamp, "limit": limit}
        return connection.execute(_CURSOR_PAGE_SQLITE, params).mappings().all()
    params = {"after_id": after_id, "after_created_at": after_created_at, "limit": limit}
    return connection.execute(_CURSOR_PAGE, params).mappings().all()


# --- Writes -----------------------------------------------------------------------------


def add_recipe(
    connection: Connection,
    *,
    label: str,
    submitter_id: int,
    source: str = "",
    url: str = "",
    **details: Any,
) -> RowMapping:
    statement = (
        insert(recipe_table)
        .values(label=label, source=source, url=url, submitter_id=submitter_id, **details)
        .returning(*recipe_table.c)
    )
    return connection.execute(statement).mappings().one()


def update_recipe(
    connection: Connection, recipe_id: int, changes: dict[str, Any]
) -> RowMapping | None:
    if not changes:
        return get_recipe(connection, recipe_id)
    statement = (
        update(recipe_table).where(_c.id == recipe_id).values(**changes).returning(*recipe_table.c)
    )
    return connection.execute(statement).mappings().first()


def delete_recipe(connection: Connection, recipe_id: int) -> bool:
    return connection.execute(delete(recipe_table).where(_c.id == recipe_id)).rowcount > 0
