"""Queries on the meal plan. No function here commits: ``Database.run`` does."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from recipe_api.mealplan.models import meal_plan_entry_table
from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.visibility import Viewer, visible_to

_e = meal_plan_entry_table.c
_r = recipe_table.c
# What a plan and a list read of a recipe: never its whole row.
_RECIPE = select(_r.id, _r.label, _r.servings, _r.ingredients, _r.submitter_id)


def recipes_by_id(
    connection: Connection, recipe_ids: Collection[int], viewer: Viewer
) -> Sequence[RowMapping]:
    """Those of the recipes ``viewer`` may see."""
    if not recipe_ids:
        return []
    statement = _RECIPE.where(_r.id.in_(sorted(recipe_ids)), visible_to(viewer))
    return connection.execute(statement).mappings().all()


def entries_between(
    connection: Connection, cook_id: int, start: date, end: date
) -> Sequence[RowMapping]:
    statement = (
        select(meal_plan_entry_table)
        .where(_e.cook_id == cook_id, _e.day >= start, _e.day <= end)
        .order_by(_e.day, _e.id)
    )
    return connection.execute(statement).mappings().all()


def all_entries(connection: Connection, cook_id: int, viewer: Viewer) -> Sequence[RowMapping]:
    """Every entry of the cook's plan whose recipe ``viewer`` may see, with the recipe's row."""
    statement = (
        select(
            recipe_table,
            _e.day.label("plan_day"),
            _e.meal.label("plan_meal"),
            _e.servings.label("plan_servings"),
        )
        .join(recipe_table, _r.id == _e.recipe_id)
        .where(_e.cook_id == cook_id, visible_to(viewer))
        .order_by(_e.day, _e.id)
    )
    return connection.execute(statement).mappings().all()


def has_entry(connection: Connection, cook_id: int, day: date, meal: str, recipe_id: int) -> bool:
    statement = (
        select(_e.id)
        .where(_e.cook_id == cook_id, _e.day == day, _e.meal == meal, _e.recipe_id == recipe_id)
        .limit(1)
    )
    return connection.execute(statement).first() is not None


def get_entry(connection: Connection, entry_id: int, cook_id: int) -> RowMapping | None:
    statement = select(meal_plan_entry_table).where(_e.id == entry_id, _e.cook_id == cook_id)
    return connection.execute(statement).mappings().first()


def entries_on_day(connection: Connection, cook_id: int, day: date) -> int:
    statement = select(func.count()).where(_e.cook_id == cook_id, _e.day == day)
    return int(connection.execute(statement).scalar_one())


def add_entry(connection: Connection, **values: Any) -> RowMapping:
    statement = insert(meal_plan_entry_table).values(**values).returning(*meal_plan_entry_table.c)
    return connection.execute(statement).mappings().one()


def change_entry(
    connection: Connection, entry_id: int, cook_id: int, changes: dict[str, Any]
) -> RowMapping | None:
    statement = (
        update(meal_plan_entry_table)
        .where(_e.id == entry_id, _e.cook_id == cook_id)
        .values(**changes)
        .returning(*meal_plan_entry_table.c)
    )
    return connection.execute(statement).mappings().first()


def remove_entry(connection: Connection, entry_id: int, cook_id: int) -> bool:
    statement = delete(meal_plan_entry_table).where(_e.id == entry_id, _e.cook_id == cook_id)
    return connection.execute(statement).rowcount > 0
