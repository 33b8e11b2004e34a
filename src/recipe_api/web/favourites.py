"""A signed-in cook's favourites: the toggle on recipe pages and cards, and "My favourites"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.favourites import service as favourites
from recipe_api.recipes.dependencies import CursorKey, RecipeId
from recipe_api.recipes.service import InvalidCursorError
from recipe_api.web.forms import read_form, safe_next
from recipe_api.web.signed_in import SignedInUser
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)

PER_PAGE = 24
PATH = "/my-favourites"


@router.post("/recipes/{recipe_id}/favourite", response_model=None)
async def toggle_favourite(
    request: Request, recipe_id: RecipeId, user: SignedInUser, db: DatabaseDep
) -> RedirectResponse:
    """Marks (``favourite=1``) or unmarks the recipe, then back to the page the form was on."""
    values = await read_form(request, ("favourite", "next"))
    if values["favourite"] == "0":
        await favourites.unmark(db, user, recipe_id)
    else:
        # Another cook's private recipe is a 404 page, as when it is read.
        await favourites.mark(db, user, recipe_id)
    target = safe_next(values["next"] or f"/recipes/{recipe_id}")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.get(PATH, response_class=HTMLResponse)
async def my_favourites(
    request: Request,
    db: DatabaseDep,
    user: SignedInUser,
    after: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    *,
    key: CursorKey,
) -> HTMLResponse:
    notice = None
    try:
        found = await favourites.list_favourites(
            db, user, limit=PER_PAGE, cursor=after, key=key, path=PATH
        )
    except InvalidCursorError:
        notice = "That page of favourites is gone; here is the first."
        found = await favourites.list_favourites(db, user, limit=PER_PAGE, key=key, path=PATH)
    # The API's ``next`` carries ``limit`` and ``cursor``; the page's link only the cursor.
    older = None if found.next is None else found.next.rsplit("cursor=", 1)[1]
    return page(
        request,
        "my_favourites.html",
        found=found,
        older=older,
        first_page=after is None or notice is not None,
        favourites={item.recipe.id for item in found.items},
        notice=notice,
    )
