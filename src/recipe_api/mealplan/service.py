"""Meal plan use cases: each is one unit of work run by ``Database.run``.

A cook's plan is their own: an entry of another cook is "not found", never
"forbidden". Which recipes a cook may put on the plan, and which entries the
week shows, is asked of one function, :func:`recipes_for`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, RowMapping

from recipe_api.db.engine import Database
from recipe_api.errors import AppError, ConflictError, NotFoundError
from recipe_api.mealplan import repository
from recipe_api.mealplan.schemas import EntryCreate, EntryOut, EntryUpdate, WeekPlan
from recipe_api.recipes.ingredients import servings_number
from recipe_api.recipes.visibility import Viewer
from recipe_api.users.schemas import UserOut

# Enough for any family's day; a bound keeps a week's page and list small.
MAX_ENTRIES_PER_DAY = 20
DEFAULT_SERVINGS = 2


class InvalidWeekError(AppError):
    status_code = 422


def recipes_for(
    connection: Connection, recipe_ids: Iterable[int], user: UserOut
) -> dict[int, RowMapping]:
    """The recipes among ``recipe_ids`` that ``user`` can see, by id.

    The one place the plan and the shopping list ask who sees what, with the
    recipes domain's rule (``recipes/visibility.py``): an entry whose recipe
    became another cook's private one is shown as unavailable in the week and
    left off the shopping list.
    """
    rows = repository.recipes_by_id(connection, set(recipe_ids), Viewer.of(user))
    return {row["id"]: row for row in rows}


def today() -> date:
    return datetime.now(UTC).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_name(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str | None) -> date:
    """The Monday of an ISO week ("2026-W49"), or of this week when absent."""
    if not week:
        return monday_of(today())
    try:
        year, number = week.split("-W")
        return date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise InvalidWeekError(f"{week} is not a week: use the ISO form, like 2026-W49") from None


def _entry_out(entry: RowMapping, recipe: RowMapping) -> EntryOut:
    return EntryOut(
        id=entry["id"],
        recipe_id=entry["recipe_id"],
        recipe_label=recipe["label"],
        day=entry["day"],
        meal=entry["meal"],
        servings=entry["servings"],
    )


def visible_entries(
    connection: Connection, user: UserOut, start: date, end: date
) -> list[tuple[RowMapping, RowMapping]]:
    """The cook's entries from ``start`` to ``end`` with their recipes, those they can see."""
    entries = repository.entries_between(connection, user.id, start, end)
    recipes = recipes_for(connection, (entry["recipe_id"] for entry in entries), user)
    return [
        (entry, recipes[entry["recipe_id"]]) for entry in entries if entry["recipe_id"] in recipes
    ]


UNAVAILABLE = "A recipe its cook no longer shares"


def _unavailable(entry: RowMapping) -> EntryOut:
    return EntryOut(
        id=entry["id"],
        recipe_id=entry["recipe_id"],
        recipe_label=UNAVAILABLE,
        day=entry["day"],
        meal=entry["meal"],
        servings=entry["servings"],
        available=False,
    )


def _week(connection: Connection, user: UserOut, monday: date) -> WeekPlan:
    sunday = monday + timedelta(days=6)
    order = {meal: index for index, meal in enumerate(("breakfast", "lunch", "dinner", "snack"))}
    planned = repository.entries_between(connection, user.id, monday, sunday)
    recipes = recipes_for(connection, (entry["recipe_id"] for entry in planned), user)
    entries = sorted(
        (
            _entry_out(entry, recipes[entry["recipe_id"]])
            if entry["recipe_id"] in recipes
            else _unavailable(entry)
            for entry in planned
        ),
        key=lambda e: (e.day, order[e.meal], e.id),
    )
    return WeekPlan(
        week=week_name(monday),
        start=monday,
        end=sunday,
        previous=week_name(monday - timedelta(days=7)),
        next=week_name(monday + timedelta(days=7)),
        entries=entries,
    )


async def week_plan(db: Database, user: UserOut, week: str | None) -> WeekPlan:
    return await db.read(_week, user, week_start(week))


def _not_found(entry_id: int) -> NotFoundError:
    return NotFoundError(f"No entry with ID {entry_id} in your meal plan")


def _room_on(connection: Connection, user: UserOut, day: date) -> None:
    if repository.entries_on_day(connection, user.id, day) >= MAX_ENTRIES_PER_DAY:
        raise ConflictError(f"{day:%A %-d %B} already has {MAX_ENTRIES_PER_DAY} entries")


def _add(connection: Connection, user: UserOut, data: EntryCreate) -> EntryOut:
    recipe = recipes_for(connection, [data.recipe_id], user).get(data.recipe_id)
    if recipe is None:
        raise NotFoundError(f"Recipe with ID {data.recipe_id} not found")
    _room_on(connection, user, data.day)
    servings = data.servings or min(servings_number(recipe["servings"]) or DEFAULT_SERVINGS, 100)
    entry = repository.add_entry(
        connection,
        cook_id=user.id,
        recipe_id=recipe["id"],
        day=data.day,
        meal=data.meal,
        servings=servings,
    )
    return _entry_out(entry, recipe)


async def add_entry(db: Database, user: UserOut, data: EntryCreate) -> EntryOut:
    """A recipe the cook can see, put on a day and meal of their plan."""
    return await db.run(_add, user, data)


def _change(connection: Connection, user: UserOut, entry_id: int, data: EntryUpdate) -> EntryOut:
    entry = repository.get_entry(connection, entry_id, user.id)
    if entry is None:
        raise _not_found(entry_id)
    recipe = recipes_for(connection, [entry["recipe_id"]], user).get(entry["recipe_id"])
    if recipe is None:
        raise _not_found(entry_id)
    changes = data.changes()
    if "day" in changes and changes["day"] != entry["day"]:
        _room_on(connection, user, changes["day"])
    if changes:
        entry = repository.change_entry(connection, entry_id, user.id, changes) or entry
    return _entry_out(entry, recipe)


async def change_entry(db: Database, user: UserOut, entry_id: int, data: EntryUpdate) -> EntryOut:
    """An entry moved to another day or meal, or its servings changed."""
    return await db.run(_change, user, entry_id, data)


def _remove(connection: Connection, user: UserOut, entry_id: int) -> None:
    if not repository.remove_entry(connection, entry_id, user.id):
        raise _not_found(entry_id)


async def remove_entry(db: Database, user: UserOut, entry_id: int) -> None:
    await db.run(_remove, user, entry_id)


def _choosable(connection: Connection, user: UserOut, recipe_ids: list[int]) -> list[RowMapping]:
    found = recipes_for(connection, recipe_ids, user)
    return [found[recipe_id] for recipe_id in recipe_ids if recipe_id in found]


async def recipes_to_plan(db: Database, user: UserOut, recipe_ids: list[int]) -> list[RowMapping]:
    """Of these recipes (a search's, the cook's newest), those the cook can plan, in order."""
    return await db.read(_choosable, user, recipe_ids)
