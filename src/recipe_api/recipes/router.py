from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from recipe_api.db.engine import DatabaseDep
from recipe_api.errors import InvalidReferenceError
from recipe_api.recipes import service
from recipe_api.recipes.schemas import RecipeCreate, RecipeOut, RecipeSearchResults
from recipe_api.schemas import MAX_ID, NO_NUL_PATTERN, Page

router = APIRouter(prefix="/recipes", tags=["recipes"])

RecipeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The recipe's ID")]


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
    results = await service.search_recipes(db, keyword, limit=max_results)
    return RecipeSearchResults(results=results)


@router.get("/", response_model=Page[RecipeOut])
async def list_recipes(
    db: DatabaseDep,
    skip: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[RecipeOut]:
    return await service.list_recipes(db, skip=skip, limit=limit)


@router.get("/{recipe_id}", response_model=RecipeOut)
async def get_recipe(recipe_id: RecipeId, db: DatabaseDep) -> RecipeOut:
    return await service.get_recipe(db, recipe_id)


@router.post("/", response_model=RecipeOut, status_code=status.HTTP_201_CREATED)
async def create_recipe(recipe_in: RecipeCreate, db: DatabaseDep) -> RecipeOut:
    if recipe_in.submitter_id is None:
        raise InvalidReferenceError("submitter_id is required")
    return await service.create_recipe(db, recipe_in, submitter_id=recipe_in.submitter_id)
