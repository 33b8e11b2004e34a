"""Favourites use cases: each is one unit of work run by ``Database.run``.

A cook marks any recipe they can see; their list shows those they can still
see (``recipes/visibility.py``): one that became another cook's private
recipe is left out, not an error, and comes back if it is shared again.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.errors import NotFoundError
from recipe_api.favourites import repository
from recipe_api.favourites.schemas import FavouriteOut, Favourites
from recipe_api.recipes import repository as recipes
from recipe_api.recipes.schemas import RecipeOut
from recipe_api.recipes.service import Cursor
from recipe_api.recipes.visibility import Viewer
from recipe_api.users.schemas import UserOut

API_PATH = "/api/v1/favourites/"


def _mark(connection: Connection, user: UserOut, recipe_id: int) -> None:
    if recipes.get_recipe(connection, recipe_id, Viewer.of(user)) is None:
        raise NotFoundError(f"Recipe with ID {recipe_id} not found")
    repository.add(connection, user.id, recipe_id)


async def mark(db: Database, user: UserOut, recipe_id: int) -> None:
    """The recipe among the cook's favourites (it was already: nothing changes)."""
    await db.run(_mark, user, recipe_id)


def _unmark(connection: Connection, user: UserOut, recipe_id: int) -> None:
    repository.remove(connection, user.id, recipe_id)


async def unmark(db: Database, user: UserOut, recipe_id: int) -> None:
    """The recipe no longer a favourite; one that was not is no error (nor one now hidden)."""
    await db.run(_unmark, user, recipe_id)


def _marked(connection: Connection, user: UserOut, recipe_ids: list[int]) -> set[int]:
    return repository.marked_among(connection, user.id, recipe_ids)


async def favourite_ids(
    db: Database, user: UserOut | None, recipe_ids: Collection[int]
) -> set[int]:
    """Which of ``recipe_ids`` the cook has marked (none for a visitor): for the toggles."""
    if user is None or not recipe_ids:
        return set()
    return await db.read(_marked, user, sorted(set(recipe_ids)))


def _page(
    connection: Connection, user: UserOut, limit: int, after: Cursor | None, key: bytes, path: str
) -> Favourites:
    bound = None if after is None else (after.after_id, after.after_created_at)
    rows = repository.page(connection, user.id, Viewer.of(user), limit=limit, after=bound)
    items = [
        FavouriteOut(recipe=RecipeOut.model_validate(row), favourited_at=row["favourited_at"])
        for row in rows
    ]
    found = Favourites(items=items, limit=limit)
    if len(items) == limit:
        last = items[-1]
        token = Cursor(after_id=last.recipe.id, after_created_at=last.favourited_at).encode(key)
        found.next = f"{path}?limit={limit}&cursor={token}"
    return found


async def list_favourites(
    db: Database,
    user: UserOut,
    *,
    limit: int,
    cursor: str | None = None,
    key: bytes,
    path: str = API_PATH,
) -> Favourites:
    """A page of the cook's favourites they can see, newest marked first, after ``cursor``.

    ``key`` signs the ``next`` cursor (a path under ``path``) and checks ``cursor``.
    """
    after = None if cursor is None else Cursor.decode(cursor, key)
    return await db.read(_page, user, limit, after, key, path)
