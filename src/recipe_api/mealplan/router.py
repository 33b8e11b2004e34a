"""The meal plan under /api/v1/meal-plan: a week, and its entries added, moved, removed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.http.responses import errors, validation_or_rule_error
from recipe_api.mealplan import service
from recipe_api.mealplan.schemas import WEEK_PATTERN, EntryCreate, EntryOut, EntryUpdate, WeekPlan
from recipe_api.schemas import MAX_ID

router = APIRouter(prefix="/meal-plan", tags=["meal plan"], responses=errors(400, 401, 413, 503))

EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="The entry's ID")]
_NO_ENTRY = errors(404, _404="No such entry in your meal plan")
_FULL_DAY = errors(409, _409="That day already has the most entries a day may have")


@router.get(
    "",
    response_model=WeekPlan,
    responses=validation_or_rule_error("Not an ISO week, or a week 53 the year has not"),
)
async def get_week(
    user: CurrentUser,
    db: DatabaseDep,
    week: Annotated[
        str | None,
        Query(pattern=WEEK_PATTERN, description="An ISO week, `2026-W49`; absent: this week"),
    ] = None,
) -> WeekPlan:
    """Your plan for one week, Monday to Sunday."""
    return await service.week_plan(db, user, week)


@router.post(
    "/entries",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    responses={**errors(404, _404="No recipe you can see has this ID"), **_FULL_DAY},
)
async def add_entry(data: EntryCreate, user: CurrentUser, db: DatabaseDep) -> EntryOut:
    """Put a recipe on a day and meal of your plan."""
    return await service.add_entry(db, user, data)


@router.patch("/entries/{entry_id}", response_model=EntryOut, responses={**_NO_ENTRY, **_FULL_DAY})
async def change_entry(
    entry_id: EntryId, data: EntryUpdate, user: CurrentUser, db: DatabaseDep
) -> EntryOut:
    """Move an entry to another day or meal, or change its servings."""
    return await service.change_entry(db, user, entry_id, data)


@router.delete("/entries/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NO_ENTRY)
async def remove_entry(entry_id: EntryId, user: CurrentUser, db: DatabaseDep) -> Response:
    await service.remove_entry(db, user, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
