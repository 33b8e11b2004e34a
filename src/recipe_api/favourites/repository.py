"""Queries on favourites. No function here commits: ``Database.run`` does."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    Integer,
    RowMapping,
    String,
    bindparam,
    delete,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from recipe_api.favourites.models import favourite_table
from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.visibility import Viewer, visible_to

_f = favourite_table.c
_r = recipe_table.c


def add(connection: Connection, user_id: int, recipe_id: int) -> None:
    """Marks the recipe; marking it again changes nothing (nor its date)."""
    insert_into = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert_into(favourite_table)
        .values(user_id=user_id, recipe_id=recipe_id)
        .on_conflict_do_nothing(index_elements=[_f.user_id, _f.recipe_id])
    )
    connection.execute(statement)


def remove(connection: Connection, user_id: int, recipe_id: int) -> bool:
    statement = delete(favourite_table).where(_f.user_id == user_id, _f.recipe_id == recipe_id)
    return connection.execute(statement).rowcount > 0


def marked_among(connection: Connection, user_id: int, recipe_ids: Collection[int]) -> set[int]:
    """Which of ``recipe_ids`` the cook has marked: one primary-key read per id."""
    if not recipe_ids:
        return set()
    statement = select(_f.recipe_id).where(
        _f.user_id == user_id, _f.recipe_id.in_(sorted(recipe_ids))
    )
    return set(connection.execute(statement).scalars())


def all_for_cook(connection: Connection, user_id: int, viewer: Viewer) -> Sequence[RowMapping]:
    """Every favourite of the cook that ``viewer`` may see, with its recipe, oldest marked first.

    For the cook's recipe box: bounded by what one cook marks.
    """
    statement = (
        select(recipe_table)
        .join(favourite_table, _r.id == _f.recipe_id)
        .where(_f.user_id == user_id, visible_to(viewer))
        .order_by(_f.created_at, _f.recipe_id)
    )
    return connection.execute(statement).mappings().all()


def page(
    connection: Connection,
    user_id: int,
    viewer: Viewer,
    *,
    limit: int,
    after: tuple[int, datetime] | None = None,
) -> Sequence[RowMapping]:
    """The cook's favourites that ``viewer`` (the cook) may see, newest first, with their recipes.

    Keyset paging on (created_at, recipe_id) of ``ix_favourite_user_id_created_at``.
    A favourite whose recipe became another cook's private one is left out.
    """
    statement = (
        select(recipe_table, _f.created_at.label("favourited_at"))
        .join(recipe_table, _r.id == _f.recipe_id)
        .where(_f.user_id == user_id, visible_to(viewer))
        .order_by(_f.created_at.desc(), _f.recipe_id.desc())
        .limit(limit)
    )
    if after is not None:
        after_id, after_at = after
        # The row the cursor names, read in the query: SQLite keeps timestamps as
        # text; the cursor's own time serves only when that favourite is gone.
        stored = (
            select(_f.created_at)
            .where(_f.user_id == user_id, _f.recipe_id == after_id)
            .scalar_subquery()
        )
        fallback = bindparam("after_at", after_at, type_=_f.created_at.type)
        if connection.dialect.name == "sqlite":
            stamp = after_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            if after_at.microsecond:
                stamp += after_at.strftime(".%f")
            fallback = bindparam("after_at", stamp, type_=String())
        statement = statement.where(
            tuple_(_f.created_at, _f.recipe_id)
            < tuple_(func.coalesce(stored, fallback), bindparam("after_id", after_id, Integer()))
        )
    return connection.execute(statement).mappings().all()
