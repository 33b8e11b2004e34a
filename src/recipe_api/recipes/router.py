from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.engine import DatabaseDep
from recipe_api.recipes import service
from recipe_api.recipes.dependencies import RecipeId
from recipe_api.recipes.schemas import RecipeCreate, RecipeOut, RecipeSearchResults, RecipeUpdate
from recipe_api.responses import errors, validation_or_rule_error
from recipe_api.schemas import MAX_ID, NO_NUL_PATTERN, Page

# Every operation reads the database: 503 when it cannot.
router = APIRouter(prefix="/recipes", tags=["recipes"], responses=errors(503))

_NOT_FOUND = errors(404, _404="No recipe has this ID")
_WRITE_ERRORS = errors(400, 401, 403, 413, _403="Not the recipe's submitter nor a superuser")


# Before /{recipe_id}: a fixed path must win over the parameter.
@router.get("/my-recipes/", response_model=Page[RecipeOut], responses=errors(401))
async def list_my_recipes(
    user: CurrentUser,
    db: DatabaseDep,
    skip: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[RecipeOut]:
    """The logged-in user's recipes, newest first."""
    return await service.list_recipes_by_submitter(db, user.id, skip=skip, limit=limit)


@router.get("/{recipe_id}", response_model=RecipeOut, responses=_NOT_FOUND)
async def get_recipe(recipe_id: RecipeId, db: DatabaseDep) -> RecipeOut:
    return await service.get_recipe(db, recipe_id)


@router.get("/search/", response_model=RecipeSearchResults)
async def search_recipes(
    db: DatabaseDep,
    keyword: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=256,
            pattern=NO_NUL_PATTERN,
            description="Part of the label, any case; absent: the newest recipes.",
        ),
    ] = None,
    max_results: Annotated[int, Query(ge=1, le=100)] = 10,
) -> RecipeSearchResults:
    return await service.search_recipes(db, keyword, limit=max_results)


@router.get("/", response_model=Page[RecipeOut])
async def list_recipes(
    db: DatabaseDep,
    skip: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[RecipeOut]:
    return await service.list_recipes(db, skip=skip, limit=limit)


@router.post(
    "/",
    response_model=RecipeOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **_WRITE_ERRORS,
        **validation_or_rule_error("Invalid fields, or a submitter_id that names no user"),
    },
)
async def create_recipe(recipe_in: RecipeCreate, user: CurrentUser, db: DatabaseDep) -> RecipeOut:
    return await service.create_recipe(db, recipe_in, user=user)


@router.patch("/{recipe_id}", response_model=RecipeOut, responses={**_WRITE_ERRORS, **_NOT_FOUND})
async def update_recipe(
    recipe_id: RecipeId, changes: RecipeUpdate, user: CurrentUser, db: DatabaseDep
) -> RecipeOut:
    return await service.update_recipe(db, recipe_id, changes, user=user)


@router.delete(
    "/{recipe_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**errors(401, 403), **_NOT_FOUND},
)
async def delete_recipe(recipe_id: RecipeId, user: CurrentUser, db: DatabaseDep) -> Response:
    await service.delete_recipe(db, recipe_id, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
