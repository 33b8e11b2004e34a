"""The meal plan page: a week, Monday first, to put recipes on and move them about.

Every change is a form that posts and redirects back to the week
(POST/redirect/GET); no script is needed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.errors import AppError
from recipe_api.mealplan import service as plans
from recipe_api.mealplan.schemas import MEALS, EntryCreate, EntryUpdate
from recipe_api.recipes import service as recipes
from recipe_api.recipes.dependencies import CursorKey
from recipe_api.recipes.schemas import RecipeSearchResults
from recipe_api.recipes.search import service as searching
from recipe_api.recipes.search.query import InvalidSearchError, SearchQuery
from recipe_api.schemas import MAX_ID
from recipe_api.state import request_state
from recipe_api.users.schemas import UserOut
from recipe_api.web.forms import field_errors, read_form
from recipe_api.web.signed_in import SignedInUser
from recipe_api.web.templating import environment, page

router = APIRouter(include_in_schema=False)

CHOICES = 12
NOTICES = {"added": "Added to your plan.", "moved": "Entry changed.", "removed": "Entry removed."}
ENTRY_FIELDS = ("recipe_id", "day", "meal", "servings", "week")
# The recipe page's "Add to plan" form reads these.
environment.globals["plan_meals"] = MEALS
environment.globals["plan_today"] = plans.today


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


def _week_of(day: date) -> str:
    return plans.week_name(plans.monday_of(day))


def _back_to(day: date, notice: str) -> RedirectResponse:
    return _see_other(f"/meal-plan?week={_week_of(day)}&{notice}=1#day-{day.isoformat()}")


async def _choices(
    request: Request, db: DatabaseDep, user: UserOut, words: str, key: bytes
) -> tuple[list[Any], str | None]:
    """Recipes to choose from: a search's, or the cook's newest."""
    if words:
        try:
            # The cook's own private recipes are theirs to plan: searched as them.
            query = SearchQuery.checked(keyword=words).for_viewer(user)
        except InvalidSearchError as exc:
            return [], str(exc)
        state = request_state(request)
        cached = await searching.search_answer(
            db,
            state.recipe_answers,
            query,
            limit=CHOICES,
            time_limit=state.settings.search_timeout_ms / 1000,
        )
        ids = [recipe.id for recipe in RecipeSearchResults.model_validate_json(cached.body).results]
    else:
        mine = await recipes.list_recipes_by_submitter(db, user.id, limit=CHOICES, key=key)
        ids = [recipe.id for recipe in mine.items]
    return await plans.recipes_to_plan(db, user, ids), None


async def _plan_page(
    request: Request,
    db: DatabaseDep,
    user: UserOut,
    week: str | None,
    *,
    words: str = "",
    key: bytes,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    plan = await plans.week_plan(db, user, week)
    choices, search_error = await _choices(request, db, user, words, key)
    days = [plan.start + timedelta(days=n) for n in range(7)]
    return page(
        request,
        "meal_plan.html",
        status_code,
        plan=plan,
        days=days,
        meals=MEALS,
        today=plans.today(),
        by_day={day: [e for e in plan.entries if e.day == day] for day in days},
        choices=choices,
        words=words,
        error=error or search_error,
        values=values or {},
        notice=next((text for name, text in NOTICES.items() if name in request.query_params), None),
    )


@router.get("/meal-plan", response_class=HTMLResponse)
async def meal_plan(
    request: Request,
    db: DatabaseDep,
    user: SignedInUser,
    key: CursorKey,
    week: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=256)] = "",
) -> HTMLResponse:
    return await _plan_page(request, db, user, week or None, words=q.strip(), key=key)


_FIELD_NAMES = {"day": "Day", "meal": "Meal", "servings": "Servings"}


def _first_error(exc: ValidationError) -> str:
    name, message = next(iter(field_errors(exc).items()))
    if name == "recipe_id":
        return "Choose a recipe to add."
    return f"{_FIELD_NAMES.get(name, name)}: {message}"


@router.post("/meal-plan/entries", response_class=HTMLResponse, response_model=None)
async def add_entry(
    request: Request, db: DatabaseDep, user: SignedInUser, key: CursorKey
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ENTRY_FIELDS)
    week = values.pop("week") or None
    try:
        data = EntryCreate.model_validate({name: value or None for name, value in values.items()})
        entry = await plans.add_entry(db, user, data)
    except ValidationError as exc:
        message = _first_error(exc)
    except AppError as exc:
        message = exc.detail
    else:
        return _back_to(entry.day, "added")
    return await _plan_page(
        request, db, user, week, key=key, error=message, status_code=422, values=values
    )


EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/meal-plan/entries/{entry_id}", response_class=HTMLResponse, response_model=None)
async def change_entry(
    request: Request, entry_id: EntryId, db: DatabaseDep, user: SignedInUser, key: CursorKey
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("day", "meal", "servings", "week"))
    week = values.pop("week") or None
    try:
        data = EntryUpdate.model_validate({name: value or None for name, value in values.items()})
        entry = await plans.change_entry(db, user, entry_id, data)
    except ValidationError as exc:
        message = _first_error(exc)
    except AppError as exc:
        message = exc.detail
    else:
        return _back_to(entry.day, "moved")
    return await _plan_page(request, db, user, week, key=key, error=message, status_code=422)


@router.post("/meal-plan/entries/{entry_id}/delete", response_model=None)
async def remove_entry(
    request: Request, entry_id: EntryId, db: DatabaseDep, user: SignedInUser
) -> RedirectResponse:
    values = await read_form(request, ("week",))
    await plans.remove_entry(db, user, entry_id)
    week = values["week"] if len(values["week"]) <= 10 else ""
    try:
        plans.week_start(week or None)
    except AppError:
        week = ""
    return _see_other(f"/meal-plan?week={week}&removed=1" if week else "/meal-plan?removed=1")
