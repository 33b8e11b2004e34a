"""Recipe use cases: each is one unit of work run by ``Database.run``.

The rules of who may write live here, next to the writes they guard: anyone
logged in submits in their own name, only a superuser in another's, and only
the submitter or a superuser changes or deletes a recipe.
"""

from __future__ import annotations

from sqlalchemy import Connection

from recipe_api.db.engine import Database, idempotent
from recipe_api.errors import InvalidReferenceError, NotFoundError, PermissionDeniedError
from recipe_api.recipes import repository
from recipe_api.recipes.schemas import (
    RecipeCreate,
    RecipeDetail,
    RecipeOut,
    RecipeSearchResults,
    RecipeUpdate,
    RecipeWindow,
)
from recipe_api.schemas import Page
from recipe_api.users.repository import get_user
from recipe_api.users.schemas import UserOut


def _not_found(recipe_id: int) -> NotFoundError:
    return NotFoundError(f"Recipe with ID {recipe_id} not found")


@idempotent
def _get(connection: Connection, recipe_id: int) -> RecipeOut | None:
    recipe = repository.get_recipe(connection, recipe_id)
    return None if recipe is None else RecipeOut.model_validate(recipe)


async def get_recipe(db: Database, recipe_id: int) -> RecipeOut:
    recipe = await db.run(_get, recipe_id)
    if recipe is None:
        raise _not_found(recipe_id)
    return recipe


@idempotent
def _detail(connection: Connection, recipe_id: int) -> RecipeDetail | None:
    row = repository.get_recipe_with_submitter(connection, recipe_id)
    return None if row is None else RecipeDetail.model_validate(row)


async def get_recipe_detail(db: Database, recipe_id: int) -> RecipeDetail:
    """The recipe and its submitter's name, in one round trip."""
    recipe = await db.run(_detail, recipe_id)
    if recipe is None:
        raise _not_found(recipe_id)
    return recipe


@idempotent
def _page(connection: Connection, skip: int, limit: int) -> Page[RecipeOut]:
    items, total = repository.list_recipes(connection, skip=skip, limit=limit)
    return Page[RecipeOut].model_validate(
        {"items": items, "total": total, "skip": skip, "limit": limit}
    )


async def list_recipes(db: Database, *, skip: int, limit: int) -> Page[RecipeOut]:
    return await db.run(_page, skip, limit)


@idempotent
def _by_submitter(
    connection: Connection, submitter_id: int, skip: int, limit: int
) -> Page[RecipeOut]:
    items, total = repository.list_recipes_by_submitter(
        connection, submitter_id, skip=skip, limit=limit
    )
    return Page[RecipeOut].model_validate(
        {"items": items, "total": total, "skip": skip, "limit": limit}
    )


async def list_recipes_by_submitter(
    db: Database, submitter_id: int, *, skip: int, limit: int
) -> Page[RecipeOut]:
    return await db.run(_by_submitter, submitter_id, skip, limit)


@idempotent
def _window(
    connection: Connection, older_than: int | None, newer_than: int | None, limit: int
) -> RecipeWindow:
    # One row more than shown tells whether there is a further page that way.
    if newer_than is not None:
        rows = repository.recipes_newer_than(connection, newer_than, limit=limit + 1)
        has_newer, has_older = len(rows) > limit, True
        rows = rows[-limit:]
    else:
        rows = repository.recipes_older_than(connection, older_than, limit=limit + 1)
        has_older, has_newer = len(rows) > limit, older_than is not None
        rows = rows[:limit]
    items = [RecipeOut.model_validate(row) for row in rows]
    if not items:
        return RecipeWindow(items=[], older_than=None, newer_than=None)
    return RecipeWindow(
        items=items,
        older_than=items[-1].id if has_older else None,
        newer_than=items[0].id if has_newer else None,
    )


async def latest_recipes(
    db: Database, *, older_than: int | None = None, newer_than: int | None = None, limit: int
) -> RecipeWindow:
    """A page of the newest-first list, next to a recipe id (keyset paging)."""
    return await db.run(_window, older_than, newer_than, limit)


@idempotent
def _search(connection: Connection, keyword: str | None, limit: int) -> RecipeSearchResults:
    found = repository.search_recipes(connection, keyword, limit=limit)
    # One validation for the whole answer rather than one per row.
    return RecipeSearchResults.model_validate({"results": found})


async def search_recipes(db: Database, keyword: str | None, *, limit: int) -> RecipeSearchResults:
    return await db.run(_search, keyword, limit)


def _create(connection: Connection, data: RecipeCreate, user: UserOut) -> RecipeOut:
    submitter_id = data.submitter_id or user.id
    if submitter_id != user.id and not user.is_superuser:
        raise PermissionDeniedError("Only a superuser may submit a recipe in another user's name")
    if get_user(connection, submitter_id) is None:
        raise InvalidReferenceError(f"Submitter with ID {submitter_id} not found")
    recipe = repository.add_recipe(
        connection,
        label=data.label,
        source=data.source,
        url=str(data.url),
        submitter_id=submitter_id,
    )
    return RecipeOut.model_validate(recipe)


async def create_recipe(db: Database, data: RecipeCreate, *, user: UserOut) -> RecipeOut:
    """A new recipe submitted by ``user``, or in the name ``data.submitter_id`` gives."""
    return await db.run(_create, data, user)


def may_change(recipe: RecipeOut, user: UserOut | None) -> bool:
    """The ownership rule, the one place it is written: the submitter or a superuser."""
    return user is not None and (recipe.submitter_id == user.id or user.is_superuser)


def ensure_may_change(recipe: RecipeOut, user: UserOut) -> None:
    if not may_change(recipe, user):
        raise PermissionDeniedError("Only the recipe's submitter or a superuser may change it")


@idempotent
def _changeable(connection: Connection, recipe_id: int, user: UserOut) -> RecipeOut:
    """The recipe ``user`` may change; checked in the caller's unit of work, beside its write."""
    recipe = _get(connection, recipe_id)
    if recipe is None:
        raise _not_found(recipe_id)
    ensure_may_change(recipe, user)
    return recipe


async def recipe_to_change(db: Database, recipe_id: int, *, user: UserOut) -> RecipeOut:
    """The recipe for a form that leads to a change: 404 or 403 before the form is shown.

    Only a courtesy to the page: the write itself checks again in its own unit of work.
    """
    return await db.run(_changeable, recipe_id, user)


def _update(connection: Connection, recipe_id: int, data: RecipeUpdate, user: UserOut) -> RecipeOut:
    _changeable(connection, recipe_id, user)
    # A field sent as null means "not given": every column is required.
    changes = data.model_dump(mode="json", exclude_none=True)
    recipe = repository.update_recipe(connection, recipe_id, changes)
    if recipe is None:
        raise _not_found(recipe_id)
    return RecipeOut.model_validate(recipe)


async def update_recipe(
    db: Database, recipe_id: int, data: RecipeUpdate, *, user: UserOut
) -> RecipeOut:
    return await db.run(_update, recipe_id, data, user)


def _delete(connection: Connection, recipe_id: int, user: UserOut) -> None:
    _changeable(connection, recipe_id, user)
    repository.delete_recipe(connection, recipe_id)


async def delete_recipe(db: Database, recipe_id: int, *, user: UserOut) -> None:
    await db.run(_delete, recipe_id, user)
