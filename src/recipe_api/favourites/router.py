"""Favourites under /api/v1: a recipe marked and unmarked, and the list of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.favourites import service
from recipe_api.favourites.schemas import Favourites
from recipe_api.http.responses import errors
from recipe_api.recipes.dependencies import CursorKey, RecipeId

router = APIRouter(tags=["favourites"], responses=errors(401, 503))


@router.put(
    "/recipes/{recipe_id:recipe_ref}/favourite",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(404, _404="No recipe you may see has this ID"),
)
async def mark_favourite(recipe_id: RecipeId, user: CurrentUser, db: DatabaseDep) -> Response:
    """Mark a recipe you can see as a favourite (again: no change)."""
    await service.mark(db, user, recipe_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/recipes/{recipe_id:recipe_ref}/favourite", status_code=status.HTTP_204_NO_CONTENT)
async def unmark_favourite(recipe_id: RecipeId, user: CurrentUser, db: DatabaseDep) -> Response:
    """No longer a favourite; one that was not is no error."""
    await service.unmark(db, user, recipe_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/favourites/", response_model=Favourites, responses=errors(400))
async def list_favourites(
    user: CurrentUser,
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="From a previous page's `next`: the page after it",
        ),
    ] = None,
    *,
    key: CursorKey,
) -> Favourites:
    """Your favourites you can still see, the newest marked first; follow `next` for more."""
    return await service.list_favourites(db, user, limit=limit, cursor=cursor, key=key)
