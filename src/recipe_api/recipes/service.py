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
from recipe_api.recipes.schemas import RecipeCreate, RecipeOut, RecipeSearchResults, RecipeUpdate
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
def _page(connection: Connection, skip: int, limit: int) -> Page[RecipeOut]:
    items, total = repository.list_recipes(connection, skip=skip, limit=limit)
    return Page[RecipeOut].model_validate(
        {"items": items, "total": total, "skip": skip, "limit": limit}
    )


async def list_recipes(db: Database, *, skip: int, limit: int) -> Page[RecipeOut]:
    return await db.run(_page, skip, limit)


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


def _check_may_change(connection: Connection, recipe_id: int, user: UserOut) -> None:
    recipe = repository.get_recipe(connection, recipe_id)
    if recipe is None:
        raise _not_found(recipe_id)
    if recipe["submitter_id"] != user.id and not user.is_superuser:
        raise PermissionDeniedError("Only the recipe's submitter or a superuser may change it")


def _update(connection: Connection, recipe_id: int, data: RecipeUpdate, user: UserOut) -> RecipeOut:
    _check_may_change(connection, recipe_id, user)
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
    _check_may_change(connection, recipe_id, user)
    repository.delete_recipe(connection, recipe_id)


async def delete_recipe(db: Database, recipe_id: int, *, user: UserOut) -> None:
    await db.run(_delete, recipe_id, user)
