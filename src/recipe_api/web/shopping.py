"""The shopping list page: made from the plan or a recipe, ticked off on a phone.

Each line is a form of its own (tick, aisle, remove) that posts and comes back
to the line (POST/redirect/GET); no script is needed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.errors import AppError
from recipe_api.mealplan.service import monday_of, today
from recipe_api.schemas import MAX_ID
from recipe_api.shopping import service as shopping
from recipe_api.shopping.lines import AISLES
from recipe_api.shopping.schemas import FromPlan, FromRecipe, LineCreate, LineUpdate
from recipe_api.users.schemas import UserOut
from recipe_api.web.forms import field_errors, read_form
from recipe_api.web.signed_in import SignedInUser
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)

LineId = Annotated[int, Path(ge=1, le=MAX_ID)]
NOTICES = {
    "made": "Your list is made from the plan.",
    "added": "The recipe's ingredients are on your list.",
    "cleared": "Lines removed.",
}


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


async def _list_page(
    request: Request,
    db: DatabaseDep,
    user: UserOut,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = await shopping.shopping_list(db, user)
    monday = monday_of(today())
    defaults = {"start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat()}
    return page(
        request,
        "shopping_list.html",
        status_code,
        found=found,
        aisles=AISLES,
        values={**defaults, **(values or {})},
        errors=errors or {},
        notice=next((text for name, text in NOTICES.items() if name in request.query_params), None),
    )


@router.get("/shopping-list", response_class=HTMLResponse)
async def shopping_list(request: Request, db: DatabaseDep, user: SignedInUser) -> HTMLResponse:
    return await _list_page(request, db, user)


@router.post("/shopping-list/from-plan", response_class=HTMLResponse, response_model=None)
async def from_plan(
    request: Request, db: DatabaseDep, user: SignedInUser
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("start", "end"))
    try:
        span = FromPlan.model_validate(values)
        await shopping.build_from_plan(db, user, span)
    except ValidationError as exc:
        errors = field_errors(exc)
        message = next(iter(errors.values()))
        if "form" in errors:
            message = message.removeprefix("Value error, ")
        return await _list_page(
            request, db, user, values=values, errors={"range": message}, status_code=422
        )
    except AppError as exc:
        return await _list_page(
            request, db, user, values=values, errors={"range": exc.detail}, status_code=409
        )
    return _see_other("/shopping-list?made=1")


@router.post("/shopping-list/from-recipe", response_class=HTMLResponse, response_model=None)
async def from_recipe(
    request: Request, db: DatabaseDep, user: SignedInUser
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("recipe_id", "servings"))
    try:
        data = FromRecipe.model_validate({k: v or None for k, v in values.items()})
    except ValidationError:
        return await _list_page(
            request, db, user, errors={"range": "That recipe cannot be added"}, status_code=422
        )
    await shopping.add_recipe(db, user, data)
    return _see_other("/shopping-list?added=1")


@router.post("/shopping-list/lines", response_class=HTMLResponse, response_model=None)
async def add_line(
    request: Request, db: DatabaseDep, user: SignedInUser
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("text", "aisle"))
    try:
        data = LineCreate.model_validate({k: v or None for k, v in values.items()})
        line = await shopping.add_line(db, user, data)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "text" in errors and not values["text"].strip():
            errors["text"] = "Type what to buy"
        return await _list_page(request, db, user, values=values, errors=errors, status_code=422)
    except AppError as exc:
        return await _list_page(
            request, db, user, values=values, errors={"text": exc.detail}, status_code=409
        )
    return _see_other(f"/shopping-list#line-{line.id}")


@router.post("/shopping-list/lines/{line_id}", response_class=HTMLResponse, response_model=None)
async def change_line(
    request: Request, line_id: LineId, db: DatabaseDep, user: SignedInUser
) -> HTMLResponse | RedirectResponse:
    """A tick (``checked`` = 1 or 0) or another aisle, from the line's own forms."""
    values = await read_form(request, ("checked", "aisle"))
    try:
        data = LineUpdate.model_validate({k: v or None for k, v in values.items()})
    except ValidationError:
        return await _list_page(
            request, db, user, errors={"list": "Choose one of the aisles"}, status_code=422
        )
    await shopping.change_line(db, user, line_id, data)
    return _see_other(f"/shopping-list#line-{line_id}")


@router.post("/shopping-list/lines/{line_id}/delete", response_model=None)
async def remove_line(line_id: LineId, db: DatabaseDep, user: SignedInUser) -> RedirectResponse:
    await shopping.remove_line(db, user, line_id)
    return _see_other("/shopping-list")


@router.post("/shopping-list/clear", response_model=None)
async def clear(request: Request, db: DatabaseDep, user: SignedInUser) -> RedirectResponse:
    values = await read_form(request, ("only",))
    await shopping.clear(db, user, only_checked=values["only"] == "checked")
    return _see_other("/shopping-list?cleared=1")
