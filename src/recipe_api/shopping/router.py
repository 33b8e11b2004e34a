"""The shopping list under /api/v1/shopping-list: built from the plan or recipes, ticked off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.http.responses import errors
from recipe_api.schemas import MAX_ID
from recipe_api.shopping import service
from recipe_api.shopping.schemas import (
    FromPlan,
    FromRecipe,
    LineCreate,
    LineOut,
    LineUpdate,
    ShoppingList,
)

router = APIRouter(
    prefix="/shopping-list", tags=["shopping list"], responses=errors(400, 401, 413, 503)
)

LineId = Annotated[int, Path(ge=1, le=MAX_ID, description="The line's ID")]
_NO_LINE = errors(404, _404="No such line on your shopping list")
_FULL = errors(409, _409="The list would hold more lines than a list may")


@router.get("", response_model=ShoppingList)
async def get_list(user: CurrentUser, db: DatabaseDep) -> ShoppingList:
    """Your shopping list, by aisle."""
    return await service.shopping_list(db, user)


@router.post("/from-plan", response_model=ShoppingList, responses=_FULL)
async def build_from_plan(data: FromPlan, user: CurrentUser, db: DatabaseDep) -> ShoppingList:
    """The list for your plan's days from `start` to `end` (both included).

    Each entry's recipe is scaled to the entry's servings, and the same food
    merged across recipes where the units allow (grams with kilograms, cups with
    spoons, cloves with cloves). The lines from recipes are replaced; lines you
    typed stay, and a line you ticked stays ticked if no more of it is needed.
    """
    return await service.build_from_plan(db, user, data)


@router.post(
    "/from-recipe",
    response_model=ShoppingList,
    responses={**errors(404, _404="No recipe you can see has this ID"), **_FULL},
)
async def add_recipe(data: FromRecipe, user: CurrentUser, db: DatabaseDep) -> ShoppingList:
    """One recipe's ingredients added to the list, merged with what is there."""
    return await service.add_recipe(db, user, data)


@router.post("/lines", response_model=LineOut, status_code=status.HTTP_201_CREATED, responses=_FULL)
async def add_line(data: LineCreate, user: CurrentUser, db: DatabaseDep) -> LineOut:
    """A line of your own ("kitchen roll")."""
    return await service.add_line(db, user, data)


@router.patch("/lines/{line_id}", response_model=LineOut, responses=_NO_LINE)
async def change_line(
    line_id: LineId, data: LineUpdate, user: CurrentUser, db: DatabaseDep
) -> LineOut:
    """Tick a line off (or back on), or move it to another aisle."""
    return await service.change_line(db, user, line_id, data)


@router.delete("/lines/{line_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NO_LINE)
async def remove_line(line_id: LineId, user: CurrentUser, db: DatabaseDep) -> Response:
    await service.remove_line(db, user, line_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/lines", status_code=status.HTTP_204_NO_CONTENT)
async def clear(
    user: CurrentUser,
    db: DatabaseDep,
    checked: Annotated[bool, Query(description="Only the ticked lines")] = False,
) -> Response:
    """Empty the list, or only of its ticked lines."""
    await service.clear(db, user, only_checked=checked)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
