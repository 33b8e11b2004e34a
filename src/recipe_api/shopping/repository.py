"""Queries on the shopping list. No function here commits: ``Database.run`` does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from recipe_api.shopping.models import shopping_aisle_table, shopping_line_table

_l = shopping_line_table.c
_a = shopping_aisle_table.c


def lines(connection: Connection, cook_id: int) -> Sequence[RowMapping]:
    statement = select(shopping_line_table).where(_l.cook_id == cook_id).order_by(_l.id)
    return connection.execute(statement).mappings().all()


def count_lines(connection: Connection, cook_id: int) -> int:
    statement = select(func.count()).where(_l.cook_id == cook_id)
    return int(connection.execute(statement).scalar_one())


def get_line(connection: Connection, line_id: int, cook_id: int) -> RowMapping | None:
    statement = select(shopping_line_table).where(_l.id == line_id, _l.cook_id == cook_id)
    return connection.execute(statement).mappings().first()


def add_lines(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(shopping_line_table), rows)


def change_line(connection: Connection, line_id: int, cook_id: int, **values: Any) -> None:
    statement = (
        update(shopping_line_table).where(_l.id == line_id, _l.cook_id == cook_id).values(**values)
    )
    connection.execute(statement)


def remove_line(connection: Connection, line_id: int, cook_id: int) -> bool:
    statement = delete(shopping_line_table).where(_l.id == line_id, _l.cook_id == cook_id)
    return connection.execute(statement).rowcount > 0


def remove_lines(connection: Connection, cook_id: int, *, only: str | None = None) -> int:
    """All the cook's lines, or ``only`` the "checked" ones or those from "recipes"."""
    statement = delete(shopping_line_table).where(_l.cook_id == cook_id)
    if only == "checked":
        statement = statement.where(_l.checked)
    elif only == "recipes":
        statement = statement.where(~_l.manual)
    return connection.execute(statement).rowcount


def chosen_aisles(connection: Connection, cook_id: int) -> dict[str, str]:
    statement = select(_a.food, _a.aisle).where(_a.cook_id == cook_id)
    return {food: aisle for food, aisle in connection.execute(statement)}


def choose_aisle(connection: Connection, cook_id: int, food: str, aisle: str) -> None:
    """The cook's aisle for a food from now on, and for the lines of it on the list now."""
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(shopping_aisle_table).values(cook_id=cook_id, food=food, aisle=aisle)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_a.cook_id, _a.food], set_={"aisle": statement.excluded.aisle}
        )
    )
    connection.execute(
        update(shopping_line_table)
        .where(_l.cook_id == cook_id, _l.food == food)
        .values(aisle=aisle)
    )
