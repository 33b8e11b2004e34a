"""Queries on recipes. No function here commits: ``Database.run`` does.

The read statements are built once: on SQLite, building a ``select()`` per
call costs more than running it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    RowMapping,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from recipe_api.db.functions import substring_position
from recipe_api.recipes.models import recipe_table
from recipe_api.users.models import user_table

_c = recipe_table.c
_NEWEST_FIRST = (_c.created_at.desc(), _c.id.desc())
_LOWER_LABEL = func.lower(_c.label)

_GET = select(recipe_table).where(_c.id == bindparam("recipe_id"))
# The recipe page shows who submitted it: one round trip for both.
_GET_WITH_SUBMITTER = (
    select(recipe_table, user_table.c.first_name, user_table.c.surname)
    .join(user_table, user_table.c.id == _c.submitter_id)
    .where(_c.id == bindparam("recipe_id"))
)
_COUNT = select(func.count()).select_from(recipe_table)
_PAGE = (
    select(recipe_table)
    .order_by(*_NEWEST_FIRST)
    .offset(bindparam("skip"))
    .limit(bindparam("limit"))
)
_KEYWORD: BindParameter[str] = bindparam("keyword", type_=String())
_POSITION = substring_position(_LOWER_LABEL, _KEYWORD)
_RANK = case(
    (_LOWER_LABEL == _KEYWORD, 0),
    (_POSITION == 1, 1),
    (substring_position(_LOWER_LABEL, bindparam("word_start", type_=String())) > 0, 2),
    else_=3,
)
_SEARCH = (
    select(recipe_table)
    .where(_POSITION > 0)
    .order_by(_RANK, *_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
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


def list_recipes(
    connection: Connection, *, skip: int, limit: int
) -> tuple[Sequence[RowMapping], int]:
    items = connection.execute(_PAGE, {"skip": skip, "limit": limit}).mappings().all()
    total = connection.execute(_COUNT).scalar_one()
    return items, total


def list_recipes_by_submitter(
    connection: Connection, submitter_id: int, *, skip: int, limit: int
) -> tuple[Sequence[RowMapping], int]:
    params = {"submitter_id": submitter_id, "skip": skip, "limit": limit}
    items = connection.execute(_BY_SUBMITTER, params).mappings().all()
    total = connection.execute(_COUNT_BY_SUBMITTER, params).scalar_one()
    return items, total


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


def search_recipes(
    connection: Connection, keyword: str | None, *, limit: int
) -> Sequence[RowMapping]:
    """Recipes whose label contains ``keyword`` (any case), best matches first.

    A label equal to the keyword ranks first, then labels starting with it,
    then labels with a word starting with it, then any other match; newest
    first within a rank. Without a keyword: the newest recipes.
    """
    if keyword is None:
        return connection.execute(_NEWEST, {"limit": limit}).mappings().all()
    term = keyword.lower()
    params = {"keyword": term, "word_start": f" {term}", "limit": limit}
    return connection.execute(_SEARCH, params).mappings().all()


def add_recipe(
    connection: Connection, *, label: str, source: str, url: str, submitter_id: int
) -> RowMapping:
    statement = (
        insert(recipe_table)
        .values(label=label, source=source, url=url, submitter_id=submitter_id)
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
