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
    ColumnElement,
    Connection,
    Integer,
    RowMapping,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from recipe_api.recipes.models import recipe_count_table, recipe_table
from recipe_api.recipes.visibility import EVERYTHING, Kind, Viewer, per_viewer, pick, visible_to
from recipe_api.users.models import user_table

_c = recipe_table.c
_NEWEST_FIRST = (_c.created_at.desc(), _c.id.desc())

GET_RECIPE = select(recipe_table).where(_c.id == bindparam("recipe_id"))
# What a viewer may read (``recipes/visibility.py``): each statement in its three forms,
# each read with ``Database.read_row`` (the driver's prepared statement) after ``pick``.
VISIBLE_GET = per_viewer(GET_RECIPE.where)
# The recipe page shows who submitted it: one round trip for both.
GET_RECIPE_WITH_SUBMITTER = per_viewer(
    select(recipe_table, user_table.c.first_name, user_table.c.surname)
    .join(user_table, user_table.c.id == _c.submitter_id)
    .where(_c.id == bindparam("recipe_id"))
    .where
)
_TOTAL = select(recipe_count_table.c.recipes).where(recipe_count_table.c.id == 1)
# The private recipes a viewer may not see, through ix_recipe_private_submitter_id:
# the list's total is the kept count less these.
_PRIVATE = _c.private == true()
_HIDDEN: dict[Kind, Select[Any] | None] = {
    "everything": None,
    "public": select(func.count()).where(_PRIVATE),
    "theirs": select(func.count()).where(_PRIVATE, _c.submitter_id != bindparam("viewer_id")),
}
_OFFSET_PAGE = per_viewer(
    lambda visible: (
        select(recipe_table)
        .where(visible)
        .order_by(*_NEWEST_FIRST)
        .offset(bindparam("skip"))
        .limit(bindparam("limit"))
    )
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
_VISIBLE_CURSOR_PAGE = per_viewer(_CURSOR_PAGE.where)
_VISIBLE_CURSOR_PAGE_SQLITE = per_viewer(_CURSOR_PAGE_SQLITE.where)
# A cook's own recipes: all of them visible to them, private or not.
_MINE = _c.submitter_id == bindparam("submitter_id")
_SUBMITTER_CURSOR_PAGE = _CURSOR_PAGE.where(_MINE)
_SUBMITTER_CURSOR_PAGE_SQLITE = _CURSOR_PAGE_SQLITE.where(_MINE)
_NEWEST = per_viewer(
    lambda visible: (
        select(recipe_table).where(visible).order_by(*_NEWEST_FIRST).limit(bindparam("limit"))
    )
)

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
_OLDER = per_viewer(
    lambda visible: (
        select(recipe_table)
        .where(
            or_(
                _c.created_at < _CURSOR, and_(_c.created_at == _CURSOR, _c.id < bindparam("cursor"))
            ),
            visible,
        )
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("limit"))
    )
)
_NEWER = per_viewer(
    lambda visible: (
        select(recipe_table)
        .where(
            or_(
                _c.created_at > _CURSOR, and_(_c.created_at == _CURSOR, _c.id > bindparam("cursor"))
            ),
            visible,
        )
        .order_by(_c.created_at.asc(), _c.id.asc())
        .limit(bindparam("limit"))
    )
)


def get_recipe(
    connection: Connection, recipe_id: int, viewer: Viewer = EVERYTHING
) -> RowMapping | None:
    """The recipe, if ``viewer`` may see it (the default: whoever it is, for the writes' checks)."""
    statement, params = pick(VISIBLE_GET, viewer)
    return connection.execute(statement, {**params, "recipe_id": recipe_id}).mappings().first()


def list_recipes_by_submitter(
    connection: Connection, submitter_id: int, *, skip: int, limit: int
) -> tuple[Sequence[RowMapping], int]:
    params = {"submitter_id": submitter_id, "skip": skip, "limit": limit}
    items = connection.execute(_BY_SUBMITTER, params).mappings().all()
    return items, count_recipes_by_submitter(connection, submitter_id)


def count_recipes_by_submitter(connection: Connection, submitter_id: int) -> int:
    """Through the submitter's index: as many rows as the cook has recipes."""
    return int(connection.execute(_COUNT_BY_SUBMITTER, {"submitter_id": submitter_id}).scalar_one())


def submitted_with_url(connection: Connection, submitter_id: int, url: str) -> int | None:
    """The id of one of the submitter's recipes at ``url`` (through the submitter's index)."""
    statement = (
        select(_c.id).where(_c.submitter_id == submitter_id, _c.url == url).order_by(_c.id).limit(1)
    )
    return connection.execute(statement).scalar()


def all_by_submitter(connection: Connection, submitter_id: int) -> Sequence[RowMapping]:
    """Every recipe of the submitter, oldest first (for their archive)."""
    statement = select(recipe_table).where(_c.submitter_id == submitter_id).order_by(_c.id)
    return connection.execute(statement).mappings().all()


def submitted_with_label(
    connection: Connection, submitter_id: int, label: str
) -> list[tuple[int, Any]]:
    """The ids and ingredient lists of the submitter's recipes named ``label`` (any case)."""
    statement = select(_c.id, _c.ingredients).where(
        _c.submitter_id == submitter_id, func.lower(_c.label) == label.lower()
    )
    return [(row.id, row.ingredients) for row in connection.execute(statement)]


def label_of(connection: Connection, recipe_id: int) -> str | None:
    label: str | None = connection.execute(select(_c.label).where(_c.id == recipe_id)).scalar()
    return label


def visible_with_url(connection: Connection, url: str, viewer: Viewer) -> int | None:
    """One recipe at ``url`` that ``viewer`` may see, the oldest.

    No index on ``url`` alone: a scan, for the recipe box's import of favourites
    (a background job, once per favourite of another cook's recipe).
    """
    statement = select(_c.id).where(_c.url == url, visible_to(viewer)).order_by(_c.id).limit(1)
    return connection.execute(statement).scalar()


def visible_with_label(
    connection: Connection, label: str, viewer: Viewer, cook_id: int, *, limit: int = 50
) -> list[tuple[int, Any]]:
    """Recipes named ``label`` (any case) that ``viewer`` may see: the cook's own first."""
    statement = (
        select(_c.id, _c.ingredients)
        .where(func.lower(_c.label) == label.lower(), visible_to(viewer))
        .order_by((_c.submitter_id == cook_id).desc(), _c.id)
        .limit(limit)
    )
    return [(row.id, row.ingredients) for row in connection.execute(statement)]


def window_statement(
    viewer: Viewer, *, older_than: int | None, newer_than: int | None, limit: int
) -> tuple[Select[Any], dict[str, Any]]:
    """The home page's window, for ``Database.read_statement``: the statement and its parameters.

    Newest first after recipe ``older_than`` (from the newest without a
    cursor); with ``newer_than``, the ``limit`` recipes just newer than it,
    oldest first (the caller turns them round).
    """
    if newer_than is not None:
        statement, params = pick(_NEWER, viewer)
        return statement, {**params, "cursor": newer_than, "limit": limit}
    if older_than is not None:
        statement, params = pick(_OLDER, viewer)
        return statement, {**params, "cursor": older_than, "limit": limit}
    statement, params = pick(_NEWEST, viewer)
    return statement, {**params, "limit": limit}


def count_recipes(connection: Connection, viewer: Viewer = EVERYTHING) -> int:
    """The number of recipes ``viewer`` sees.

    The counter the triggers keep (one row read) less the private recipes of
    others (an index-only count of the private ones: none read for a superuser).
    """
    total = int(connection.execute(_TOTAL).scalar() or 0)
    hidden, params = pick(_HIDDEN, viewer)
    if hidden is None:
        return total
    return total - int(connection.execute(hidden, params).scalar_one())


def list_recipes(
    connection: Connection, viewer: Viewer, *, skip: int, limit: int
) -> Sequence[RowMapping]:
    statement, params = pick(_OFFSET_PAGE, viewer)
    return connection.execute(statement, {**params, "skip": skip, "limit": limit}).mappings().all()


def list_recipes_after(
    connection: Connection,
    *,
    after_id: int,
    after_created_at: datetime,
    limit: int,
    submitter_id: int | None = None,
    viewer: Viewer = EVERYTHING,
) -> Sequence[RowMapping]:
    """The page after the recipe ``after_id``, newest first: an index range, never an offset.

    With ``submitter_id``, only that cook's recipes (their "my recipes", all
    theirs to see); else those ``viewer`` sees.
    """
    params: dict[str, Any] = {"after_id": after_id, "limit": limit}
    mine = submitter_id is not None
    sqlite = connection.dialect.name == "sqlite"
    statement: Select[Any]
    if mine:
        params["submitter_id"] = submitter_id
        statement = _SUBMITTER_CURSOR_PAGE_SQLITE if sqlite else _SUBMITTER_CURSOR_PAGE
    else:
        statement, visible = pick(
            _VISIBLE_CURSOR_PAGE_SQLITE if sqlite else _VISIBLE_CURSOR_PAGE, viewer
        )
        params.update(visible)
    if sqlite:
        stamp = after_created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if after_created_at.microsecond:
            stamp += after_created_at.strftime(".%f")
        return connection.execute(statement, {**params, "after_created_at": stamp}).mappings().all()
    params["after_created_at"] = after_created_at
    return connection.execute(statement, params).mappings().all()


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


def add_recipe_once(
    connection: Connection, *, submitter_id: int, idea_url: str, **columns: Any
) -> tuple[int, bool]:
    """The submitter's recipe saved from ``idea_url``: a new row, or the one already there.

    Returns its id and whether it was inserted now. The unique index on
    (submitter_id, idea_url) decides, not a read before the write: of two
    inserts at once, the second waits for the first and does nothing.
    """
    dialect = connection.dialect.name
    insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert_into(recipe_table)
        .values(submitter_id=submitter_id, idea_url=idea_url, **columns)
        .on_conflict_do_nothing(
            index_elements=[_c.submitter_id, _c.idea_url], index_where=_c.idea_url.is_not(None)
        )
        .returning(_c.id)
    )
    inserted = connection.execute(statement).scalar()
    if inserted is not None:
        return inserted, True
    existing = select(_c.id).where(_c.submitter_id == submitter_id, _c.idea_url == idea_url)
    return connection.execute(existing).scalar_one(), False


def total_from_parts(changes: dict[str, Any]) -> ColumnElement[int]:
    """The total time as prep plus cook, ``changes``' values over the row's, computed in SQL.

    Inside the UPDATE that sets the parts, so it reads the row as that
    statement finds it: two updates at once, one of the prep time and one of
    the cook time, both add up the row's latest parts (PostgreSQL re-reads a
    row another transaction changed meanwhile before updating it; SQLite has
    one writer at a time). Null when neither part is known.
    """

    def part(name: str) -> ColumnElement[Any]:
        if name in changes:
            return cast(bindparam(None, changes[name], type_=Integer()), Integer())
        return _c[name]

    prep, cook = part("prep_minutes"), part("cook_minutes")
    return case(
        (and_(prep.is_(None), cook.is_(None)), None),
        else_=func.coalesce(prep, 0) + func.coalesce(cook, 0),
    )


def update_recipe(
    connection: Connection,
    recipe_id: int,
    changes: dict[str, Any],
    *,
    revision: int | None = None,
) -> RowMapping | None:
    """The row after ``changes``; None when there is no such row.

    With ``revision``, only the row still at that revision is updated (None
    when another write got there first): the check and the write are one
    statement. Every update adds one to the row's revision.
    """
    if not changes:
        return get_recipe(connection, recipe_id)
    statement = update(recipe_table).where(_c.id == recipe_id)
    if revision is not None:
        statement = statement.where(_c.revision == revision)
    statement = statement.values(**changes, revision=_c.revision + 1).returning(*recipe_table.c)
    return connection.execute(statement).mappings().first()


def delete_recipe(connection: Connection, recipe_id: int) -> bool:
    return connection.execute(delete(recipe_table).where(_c.id == recipe_id)).rowcount > 0
