"""Reading: the home page with the latest recipes, the search, a recipe's own page."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from markupsafe import Markup

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.favourites.service import favourite_ids
from recipe_api.http.conditional import answer
from recipe_api.http.routing import QuickRoute
from recipe_api.media import service as photos
from recipe_api.media.schemas import PhotoOut
from recipe_api.recipes import service as recipes
from recipe_api.recipes.cache import cached_answer
from recipe_api.recipes.dependencies import RecipeId
from recipe_api.recipes.ingredients import Units, servings_number
from recipe_api.recipes.schemas import RecipeOut
from recipe_api.recipes.search import service as searching
from recipe_api.recipes.search.query import (
    InvalidSearchCursorError,
    InvalidSearchError,
    SearchQuery,
)
from recipe_api.recipes.visibility import Viewer
from recipe_api.schemas import MAX_ID
from recipe_api.state import request_state
from recipe_api.users.schemas import UserOut
from recipe_api.web.signed_in import SESSION_COOKIE, WebUser, current_web_user
from recipe_api.web.templating import STATIC_DIR, card_macros, page, render

HOME_PAGE_RECIPES = 24
SEARCH_RESULTS = 25
HTML = "text/html; charset=utf-8"
# What a recipe's page says on arrival, by the query parameter the redirect set.
NOTICES = {
    "saved": "Recipe saved.",
    "imported": "Recipe imported. Check it, and edit anything the page got wrong.",
    "kept": "You saved this idea before: here is your recipe.",
    "private": "Only you can see this recipe now.",
    "shared": "This recipe is now public: everyone can find it.",
}

router = APIRouter(include_in_schema=False)
# The home page and the search page: included flat on the app's own router,
# first (``recipe_api.http.routing.include_flat``), as the API's hot reads are.
hot_router = APIRouter(include_in_schema=False, route_class=QuickRoute)

# The recipe id the home page's window starts after (``older``) or before (``newer``).
WindowEdge = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@hot_router.get("/", response_class=HTMLResponse)
async def home(request: Request, older: WindowEdge = None, newer: WindowEdge = None) -> Response:
    """The latest recipes; for a visitor who is not logged in, one cached page for all.

    Every anonymous visitor gets the same page of a version of the recipes (the
    public ones), so it is rendered once per version (``recipes/cache.py``) and
    carries an ETag. A request with a session cookie is rendered for its user,
    with their private recipes, and never cached: its page names the user and
    carries their forms' token.
    """
    db = request_state(request).db
    first_page = older is None and newer is None
    if SESSION_COOKIE not in request.cookies:

        async def build() -> str:
            window = await recipes.latest_recipes(
                db, older_than=older, newer_than=newer, limit=HOME_PAGE_RECIPES
            )
            found = await photos.photos_for(db, window.items)
            cards = anonymous_cards(window.items, found)
            return render(
                "home.html", window=window, first_page=first_page, photos=found, cards=cards
            )

        return await _shared_page(request, ("home", older, newer), build)
    user = await current_web_user(request, db)
    window = await recipes.latest_recipes(
        db, older_than=older, newer_than=newer, limit=HOME_PAGE_RECIPES, viewer=Viewer.of(user)
    )
    found = await photos.photos_for(db, window.items)
    marked = await favourite_ids(db, user, [recipe.id for recipe in window.items])
    return page(
        request,
        "home.html",
        window=window,
        first_page=first_page,
        photos=found,
        favourites=marked,
    )


# Recipe cards as a visitor without a session sees them, by all that a card shows
# (``partials/recipe_card.html``): the home page's 24 cards were half its render.
# Not the answer cache: a write re-renders the card of the recipe it changed only.
CARDS_KEPT = 2048
_cards: OrderedDict[Hashable, Markup] = OrderedDict()


def _card_key(recipe: RecipeOut, photo: PhotoOut | None) -> Hashable:
    shown = None if photo is None else (photo.url, photo.srcset, photo.width, photo.height)
    return (recipe.id, recipe.label, recipe.source, recipe.private, recipe.created_at, shown)


def anonymous_cards(recipes: Sequence[RecipeOut], found: Mapping[int, PhotoOut]) -> list[Markup]:
    """Each recipe's card for a visitor without a session: kept, or rendered and kept."""
    cards = []
    module = None
    for recipe in recipes:
        key = _card_key(recipe, found.get(recipe.id))
        card = _cards.get(key)
        if card is None:
            if module is None:
                module = card_macros(photos=found)
            card = _cards[key] = Markup(module.recipe_card(recipe))
            if len(_cards) > CARDS_KEPT:
                _cards.popitem(last=False)
        cards.append(card)
    return cards


async def _shared_page(
    request: Request, key: Hashable, build: Callable[[], Awaitable[str]]
) -> Response:
    """A page every visitor without a session sees alike, rendered once per recipes version.

    It carries an ETag and answers 304 to a matching ``If-None-Match``.
    """

    async def encoded() -> bytes:
        return (await build()).encode()

    state = request_state(request)
    cached = await cached_answer(state.db, state.recipe_answers, key, encoded)
    return answer(request, cached.body, HTML, etag=cached.etag)


@hot_router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=1000)] = "",
    tag: Annotated[str, Query(max_length=1000)] = "",
    cuisine: Annotated[str, Query(max_length=1000)] = "",
    category: Annotated[str, Query(max_length=1000)] = "",
    minutes: Annotated[str, Query(max_length=20)] = "",
    with_: Annotated[str, Query(alias="with", max_length=1000)] = "",
    without: Annotated[str, Query(max_length=1000)] = "",
    after: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> Response:
    """Ranked results with filters, one page at a time; shared by visitors without a session.

    Every filter is a query parameter, so a search is a link to share.
    """
    db = request_state(request).db
    params = {
        "q": q.strip(),
        "tag": tag,
        "cuisine": cuisine,
        "category": category,
        "minutes": minutes,
        "with": with_,
        "without": without,
    }
    params = {name: value.strip() for name, value in params.items() if value.strip()}

    async def build(user: UserOut | None = None, csrf_token: object = None) -> str:
        return await _search_page(request, params, after, user=user, csrf_token=csrf_token)

    if SESSION_COOKIE not in request.cookies:
        key = ("search", tuple(sorted(params.items())), after)
        return await _shared_page(request, key, build)
    user = await current_web_user(request, db)
    return HTMLResponse(await build(user, request.scope.get("csrftoken")))


async def _search_page(
    request: Request,
    params: dict[str, str],
    after: str | None,
    *,
    user: UserOut | None = None,
    csrf_token: object = None,
) -> str:
    state = request_state(request)
    query = params.get("q", "")
    context: dict[str, Any] = {
        "query": query,
        "params": params,
        "cursor": after,
        "user": user,
        "csrf_token": csrf_token,
        "here": f"{request.url.path}?{request.url.query}",
        "filters": SearchQuery(),
        "found": None,
        "error": None,
    }
    if not params:
        return render("search.html", **context)
    try:
        filters = SearchQuery.checked(
            keyword=query,
            tag=params.get("tag"),
            cuisine=params.get("cuisine"),
            category=params.get("category"),
            ingredient=params.get("with"),
            without_ingredient=params.get("without"),
            max_total_minutes=params.get("minutes"),
        )
    except InvalidSearchError as exc:
        return render("search.html", **{**context, "error": str(exc)})
    filters = filters.for_viewer(user)
    context["filters"] = filters
    time_limit = state.settings.search_timeout_ms / 1000
    try:
        cached = await searching.search_page_answer(
            state.db,
            state.recipe_answers,
            filters,
            limit=SEARCH_RESULTS,
            cursor=after,
            time_limit=time_limit,
        )
    except InvalidSearchCursorError:
        error = "That page of results is gone; here is the first."
        cached = await searching.search_page_answer(
            state.db, state.recipe_answers, filters, limit=SEARCH_RESULTS, time_limit=time_limit
        )
        context.update(error=error, cursor=None)
    answer = searching.SearchPage.model_validate_json(cached.body)
    facets = _facet_groups(params, answer.facets)
    found_photos = await photos.photos_for(state.db, answer.found.results)
    marked = await favourite_ids(state.db, user, [recipe.id for recipe in answer.found.results])
    return render("search.html", **{**context, "found": answer.found, "facets": answer.facets,
                                    "facet_groups": facets, "photos": found_photos,
                                    "favourites": marked})  # fmt: skip


def _link(params: dict[str, str], name: str, value: str) -> str:
    return urlencode({**params, name: value})


def _facet_groups(params: dict[str, str], facets: searching.Facets) -> list[dict[str, Any]]:
    """Per facet: its values as links adding the filter, or the filter set, with a link off."""
    groups = []
    for title, name, values in (
        ("Tags", "tag", facets.tags),
        ("Cuisines", "cuisine", facets.cuisines),
        ("Categories", "category", facets.categories),
    ):
        rest = {key: value for key, value in params.items() if key != name}
        groups.append(
            {
                "title": title,
                "active": params.get(name),
                "remove": urlencode(rest),
                "values": [
                    {"value": v.value, "recipes": v.recipes, "href": _link(rest, name, v.value)}
                    for v in values
                ],
            }
        )
    return groups


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
    recipe = await recipes.get_recipe_detail(db, recipe_id, Viewer.of(user))
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
        photo=(await photos.photos_for(db, [recipe])).get(recipe.id),
        favourites=await favourite_ids(db, user, [recipe.id]),
        notice=next((text for key, text in NOTICES.items() if key in request.query_params), None),
    )


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    # Browsers ask for this path before they read the page's <link rel="icon">.
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
