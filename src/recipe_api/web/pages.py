"""Reading: the home page with the latest recipes, the search, a recipe's own page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import TypeAdapter, ValidationError

from recipe_api.conditional import answer
from recipe_api.db.engine import Database, DatabaseDep
from recipe_api.recipes import service as recipes
from recipe_api.recipes.cache import cached_answer
from recipe_api.recipes.dependencies import RecipeId
from recipe_api.recipes.ingredients import Units, servings_number
from recipe_api.recipes.repository import SearchQuery
from recipe_api.recipes.schemas import SearchKeyword
from recipe_api.schemas import MAX_ID
from recipe_api.users.schemas import UserOut
from recipe_api.web.sessions import COOKIE, WebUser, current_web_user
from recipe_api.web.templating import STATIC_DIR, page, render

HOME_PAGE_RECIPES = 24
SEARCH_RESULTS = 50
HTML = "text/html; charset=utf-8"
# What a recipe's page says on arrival, by the query parameter the redirect set.
NOTICES = {
    "saved": "Recipe saved.",
    "imported": "Recipe imported. Check it, and edit anything the page got wrong.",
    "kept": "You saved this idea before: here is your recipe.",
}

router = APIRouter(include_in_schema=False)

Cursor = Annotated[int | None, Query(ge=1, le=MAX_ID)]
_KEYWORD = TypeAdapter(SearchKeyword)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, older: Cursor = None, newer: Cursor = None) -> Response:
    """The latest recipes; for a visitor who is not logged in, one cached page for all.

    Every anonymous visitor gets the same page of a version of the recipes, so
    it is rendered once per version (``recipes/cache.py``) and carries an ETag.
    A request with a session cookie is rendered for its user, and never cached:
    its page names the user and carries their log-out form's token.
    """
    db: Database = request.app.state.db
    first_page = older is None and newer is None
    if COOKIE not in request.cookies:
        request.state.user = None

        async def build() -> str:
            window = await recipes.latest_recipes(
                db, older_than=older, newer_than=newer, limit=HOME_PAGE_RECIPES
            )
            return render("home.html", window=window, first_page=first_page)

        return await _shared_page(request, ("home", older, newer), build)
    await current_web_user(request, db)
    window = await recipes.latest_recipes(
        db, older_than=older, newer_than=newer, limit=HOME_PAGE_RECIPES
    )
    return page(request, "home.html", window=window, first_page=first_page)


async def _shared_page(
    request: Request, key: Hashable, build: Callable[[], Awaitable[str]]
) -> Response:
    """A page every visitor without a session sees alike, rendered once per recipes version.

    It carries an ETag and answers 304 to a matching ``If-None-Match``.
    """

    async def encoded() -> bytes:
        return (await build()).encode()

    state = request.app.state
    cached = await cached_answer(state.db, state.recipe_answers, key, encoded)
    return answer(request, cached.body, HTML, etag=cached.etag)


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """Ranked results; like the home page, shared by visitors without a session."""
    db: Database = request.app.state.db
    limit = request.app.state.settings.search_timeout_ms / 1000
    query = q.strip()
    if COOKIE not in request.cookies:
        request.state.user = None
        return await _shared_page(
            request, ("search", query), lambda: _search_page(db, query, limit)
        )
    user = await current_web_user(request, db)
    csrf_token = request.scope.get("csrftoken")
    return HTMLResponse(await _search_page(db, query, limit, user=user, csrf_token=csrf_token))


async def _search_page(
    db: Database,
    query: str,
    time_limit: float,
    *,
    user: UserOut | None = None,
    csrf_token: object = None,
) -> str:
    context: dict[str, Any] = {"query": query, "user": user, "csrf_token": csrf_token}
    if not query:
        return render("search.html", results=None, error=None, **context)
    try:
        keyword = _KEYWORD.validate_python(query)
    except ValidationError:
        error = "Type at least 3 characters (and at most 256)."
        return render("search.html", results=None, error=error, **context)
    found = await recipes.search_recipes(
        db, SearchQuery(keyword=keyword), limit=SEARCH_RESULTS, time_limit=time_limit
    )
    return render("search.html", results=found.results, error=None, **context)


@router.get("/recipes/{recipe_id}", response_class=HTMLResponse)
async def recipe_page(
    request: Request,
    recipe_id: RecipeId,
    db: DatabaseDep,
    user: WebUser,
    servings: Annotated[str, Query(max_length=10)] = "",
    units: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """The recipe to cook from; ``?servings=8&units=metric`` (the page's own form) adjusts it.

    Values the form would not send (a word, 0) are ignored rather than refused:
    the recipe as written is the better answer to a hand-edited address.
    """
    recipe = await recipes.get_recipe_detail(db, recipe_id)
    written = servings_number(recipe.servings)
    wanted = int(servings) if servings.isdigit() and 0 < int(servings) <= 1000 else None
    chosen: Units | None = "metric" if units == "metric" else "us" if units == "us" else None
    shown = recipes.adjust(recipe, wanted, chosen)
    return page(
        request,
        "recipe.html",
        recipe=shown,
        servings_written=written,
        servings_wanted=wanted if written else None,
        units=chosen,
        may_change=recipes.may_change(recipe, user),
        notice=next((text for key, text in NOTICES.items() if key in request.query_params), None),
    )


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    # Browsers ask for this path before they read the page's <link rel="icon">.
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
