"""Shopping list use cases: each is one unit of work run by ``Database.run``.

A list is built from the plan (a date range: the lines from recipes are
replaced, the cook's own lines kept) or grows by single recipes (merged into
what is there). Each entry's recipe is scaled to the entry's servings. The
merge rules are in ``shopping/lines.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping

from recipe_api.db.engine import Database
from recipe_api.errors import ConflictError, NotFoundError
from recipe_api.mealplan.service import recipes_for, visible_entries
from recipe_api.recipes import ingredients
from recipe_api.shopping import repository
from recipe_api.shopping.lines import AISLES, Need, aisle_for, food_key, line_text, merge, needs
from recipe_api.shopping.schemas import (
    AisleLines,
    FromPlan,
    FromRecipe,
    LineCreate,
    LineOut,
    LineUpdate,
    ShoppingList,
)
from recipe_api.users.schemas import UserOut

# A trip's list; more lines than this is a list nobody reads on a phone.
MAX_LINES = 500


def _line_out(row: RowMapping) -> LineOut:
    return LineOut(
        id=row["id"],
        text=line_text(row["name"], row["measure"], row["quantity"], row["units"]),
        food=row["food"],
        aisle=row["aisle"],
        checked=row["checked"],
        manual=row["manual"],
    )


def _list(connection: Connection, user: UserOut) -> ShoppingList:
    rows = repository.lines(connection, user.id)
    by_aisle: dict[str, list[LineOut]] = {aisle: [] for aisle in AISLES}
    for row in rows:
        by_aisle[row["aisle"] if row["aisle"] in by_aisle else "other"].append(_line_out(row))
    return ShoppingList(
        aisles=[AisleLines(aisle=a, lines=found) for a, found in by_aisle.items() if found],
        total=len(rows),
        checked=sum(1 for row in rows if row["checked"]),
    )


async def shopping_list(db: Database, user: UserOut) -> ShoppingList:
    return await db.read(_list, user)


def scale(recipe: RowMapping, servings: int | None) -> float:
    """How many times the recipe an entry cooks: its servings over the recipe's own.

    A recipe whose yield has no number ("a loaf") is taken as written.
    """
    written = ingredients.servings_number(recipe["servings"])
    if servings is None or written is None:
        return 1.0
    return servings / written


def recipe_needs(recipe: RowMapping, servings: int | None) -> list[Need]:
    factor = scale(recipe, servings)
    return [need for line in recipe["ingredients"] for need in needs(line, factor)]


def _row(
    user: UserOut, need: Need, chosen: dict[str, str], checked: bool = False
) -> dict[str, Any]:
    return {
        "cook_id": user.id,
        "food": need.food,
        "name": need.name or need.food,
        "measure": need.measure,
        "quantity": need.quantity,
        "units": need.units,
        "aisle": aisle_for(need.food, chosen),
        "checked": checked,
        "manual": False,
    }


def _bounded(connection: Connection, user: UserOut, adding: int) -> None:
    if repository.count_lines(connection, user.id) + adding > MAX_LINES:
        raise ConflictError(f"A shopping list holds at most {MAX_LINES} lines: clear some first")


def _still_bought(old: Sequence[RowMapping], need: Need) -> bool:
    """A line ticked before the rebuild stays ticked if no more of it is needed now."""
    for row in old:
        if (row["food"], row["measure"]) == need.merge_key and row["checked"]:
            return need.quantity is None or (row["quantity"] or 0) >= need.quantity - 1e-9
    return False


def _from_plan(connection: Connection, user: UserOut, start: date, end: date) -> ShoppingList:
    planned = visible_entries(connection, user, start, end)
    merged = merge(
        need for entry, recipe in planned for need in recipe_needs(recipe, entry["servings"])
    )
    old = [row for row in repository.lines(connection, user.id) if not row["manual"]]
    repository.remove_lines(connection, user.id, only="recipes")
    _bounded(connection, user, len(merged))
    chosen = repository.chosen_aisles(connection, user.id)
    repository.add_lines(
        connection, [_row(user, need, chosen, _still_bought(old, need)) for need in merged]
    )
    return _list(connection, user)


async def build_from_plan(db: Database, user: UserOut, span: FromPlan) -> ShoppingList:
    """The list for the plan's days from ``span.start`` to ``span.end``; typed lines stay."""
    return await db.run(_from_plan, user, span.start, span.end)


def _add_needs(connection: Connection, user: UserOut, adding: Iterable[Need]) -> None:
    """Needs merged into the lines from recipes already on the list."""
    current = [row for row in repository.lines(connection, user.id) if not row["manual"]]
    by_key = {(row["food"], row["measure"]): row for row in current}
    foods = {row["food"] for row in current}
    chosen = repository.chosen_aisles(connection, user.id)
    new: list[dict[str, Any]] = []
    for need in merge(adding):
        row = by_key.get(need.merge_key)
        if need.quantity is None:
            if need.food not in foods:
                new.append(_row(user, need, chosen))
            continue
        unmeasured = by_key.pop((need.food, None), None)
        if unmeasured is not None:
            # "salt" and now "1 tsp salt": the amount says it all.
            repository.remove_line(connection, unmeasured["id"], user.id)
        if row is not None and row["quantity"] is not None:
            units = "metric" if "metric" in (row["units"], need.units) else row["units"]
            # More of something ticked off: it is to buy again.
            repository.change_line(
                connection,
                row["id"],
                user.id,
                quantity=row["quantity"] + need.quantity,
                units=units,
                checked=False,
            )
        else:
            new.append(_row(user, need, chosen))
    _bounded(connection, user, len(new))
    repository.add_lines(connection, new)


def _from_recipe(connection: Connection, user: UserOut, data: FromRecipe) -> ShoppingList:
    recipe = recipes_for(connection, [data.recipe_id], user).get(data.recipe_id)
    if recipe is None:
        raise NotFoundError(f"Recipe with ID {data.recipe_id} not found")
    _add_needs(connection, user, recipe_needs(recipe, data.servings))
    return _list(connection, user)


async def add_recipe(db: Database, user: UserOut, data: FromRecipe) -> ShoppingList:
    """A recipe's ingredients (for ``data.servings``) added to the list, merged."""
    return await db.run(_from_recipe, user, data)


def _add_line(connection: Connection, user: UserOut, data: LineCreate) -> LineOut:
    _bounded(connection, user, 1)
    chosen = repository.chosen_aisles(connection, user.id)
    aisle = data.aisle or aisle_for(food_key(ingredients.parse(data.text).food), chosen)
    row = {
        "cook_id": user.id,
        "food": "",
        "name": data.text,
        "measure": None,
        "quantity": None,
        "units": None,
        "aisle": aisle,
        "checked": False,
        "manual": True,
    }
    repository.add_lines(connection, [row])
    added = repository.lines(connection, user.id)[-1]
    return _line_out(added)


async def add_line(db: Database, user: UserOut, data: LineCreate) -> LineOut:
    """A line the cook typed ("kitchen roll"), in the aisle given or its food's."""
    return await db.run(_add_line, user, data)


def _not_found(line_id: int) -> NotFoundError:
    return NotFoundError(f"No line with ID {line_id} on your shopping list")


def _change_line(connection: Connection, user: UserOut, line_id: int, data: LineUpdate) -> LineOut:
    line = repository.get_line(connection, line_id, user.id)
    if line is None:
        raise _not_found(line_id)
    if data.checked is not None:
        repository.change_line(connection, line_id, user.id, checked=data.checked)
    if data.aisle is not None:
        if line["food"]:
            repository.choose_aisle(connection, user.id, line["food"], data.aisle)
        else:
            repository.change_line(connection, line_id, user.id, aisle=data.aisle)
    changed = repository.get_line(connection, line_id, user.id)
    assert changed is not None
    return _line_out(changed)


async def change_line(db: Database, user: UserOut, line_id: int, data: LineUpdate) -> LineOut:
    """A line ticked (or unticked), or moved to another aisle."""
    return await db.run(_change_line, user, line_id, data)


def _remove_line(connection: Connection, user: UserOut, line_id: int) -> None:
    if not repository.remove_line(connection, line_id, user.id):
        raise _not_found(line_id)


async def remove_line(db: Database, user: UserOut, line_id: int) -> None:
    await db.run(_remove_line, user, line_id)


def _clear(connection: Connection, user: UserOut, only_checked: bool) -> int:
    return repository.remove_lines(connection, user.id, only="checked" if only_checked else None)


async def clear(db: Database, user: UserOut, *, only_checked: bool) -> int:
    """Every line, or the ticked ones; how many went."""
    return await db.run(_clear, user, only_checked)
