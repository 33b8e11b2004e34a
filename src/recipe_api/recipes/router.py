from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from recipe_api.auth.dependencies import CurrentUser, OptionalUser, optional_user
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.http.conditional import answer
from recipe_api.http.responses import errors, validation_or_rule_error
from recipe_api.http.routing import QuickRoute
from recipe_api.media import service as photos
from recipe_api.recipes import ingredients, service
from recipe_api.recipes.dependencies import CursorKey, ImporterDep, RecipeId, reads_of
from recipe_api.recipes.imports import service as imports
from recipe_api.recipes.schemas import (
    MyRecipes,
    RecipeCreate,
    RecipeImport,
    RecipeOut,
    RecipeSearchResults,
    RecipeUpdate,
    RecipeUpdateById,
    normalize_tag,
)
from recipe_api.recipes.search import service as search
from recipe_api.recipes.search.query import MAX_TOTAL_MINUTES, SearchQuery
from recipe_api.recipes.service import InvalidCursorError
from recipe_api.recipes.visibility import Viewer
from recipe_api.schemas import MAX_ID, NO_NUL_PATTERN, Page
from recipe_api.state import request_state

JSON = "application/json"

# Deeper than this, OFFSET walks too many rows: clients follow the `next` cursor.
MAX_SKIP = 10_000

# Every operation reads the database: 503 when it cannot.
router = APIRouter(prefix="/recipes", tags=["recipes"], responses=errors(503))
# The recipe read and the search: declared as every route is, and included flat
# on the app's own router, first (``recipe_api.http.routing.include_flat``); a
# plain request is served by calling the endpoint directly, and the search's
# query parameters are checked in one call (``QuickRoute``; decisions 0031, 0032).
hot_router = APIRouter(
    prefix="/recipes", tags=["recipes"], responses=errors(503), route_class=QuickRoute
)

_NOT_FOUND = errors(404, _404="No recipe you may see has this ID")
_WRITE_ERRORS = errors(400, 401, 403, 413, _403="Not the recipe's submitter nor a superuser")


Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="From a previous page's `next`: the page after it",
    ),
]


@router.get(
    "/my-recipes/archive",
    response_class=Response,
    responses={
        **errors(401),
        200: {"content": {"application/zip": {}}, "description": "The recipe box (a zip)"},
    },
)
async def download_my_recipes(user: CurrentUser, db: DatabaseDep) -> Response:
    """Your whole recipe box as one zip: recipes, photos, favourites and meal plan.

    A schema.org Recipe JSON-LD file per recipe, its photo (WebP, the largest
    size stored), and `manifest.json`, which lists them with your favourites
    and meal plan entries (their recipes named by a key that holds on another
    server: the recipe's file, or another cook's recipe's web address, name and
    ingredients). Upload it to `POST /recipes/imports/` (here or on another server) to get the
    same recipes back. Unlike `recipe-api backup` (the whole database, for the
    operator), it holds one cook's recipes in a format other apps read.
    """
    archive = await imports.recipe_box(db, user=user)
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="my-recipes.zip"'},
    )


# The two hottest reads, on ``hot_router``. Their answers are
# JSON bytes made by the service, with an ``ETag``: FastAPI checks the parameters and
# documents ``response_model``; there is nothing left for it to validate or encode.


@hot_router.get("/{recipe_id:recipe_ref}", response_model=RecipeOut, responses=_NOT_FOUND)
async def get_recipe(
    recipe_id: RecipeId,
    request: Request,
    servings: Annotated[
        int | None,
        Query(
            ge=1,
            le=1000,
            description="Amounts for this many servings, scaled from the first number of the "
            'recipe\'s `servings` ("Serves 4", "4-6"), which becomes this number; a '
            "recipe whose `servings` has no number is not scaled and keeps it as written",
        ),
    ] = None,
    units: Annotated[
        ingredients.Units | None,
        Query(
            description="Amounts in metric (g, ml) or US (cups, spoons, oz) units, and oven "
            "temperatures in the steps in °C or °F. Lines without an amount stay as written.",
        ),
    ] = None,
) -> Response:
    reads = reads_of(request)
    viewer = Viewer.of(await optional_user(request))
    if servings is None and units is None:
        found = await service.recipe_answer(reads.db, reads.answers, recipe_id, viewer)
    else:
        found = await service.adjusted_recipe_answer(reads.db, recipe_id, servings, units, viewer)
    return answer(request, found.body, JSON, etag=found.etag)


@hot_router.get(
    "/search/",
    response_model=RecipeSearchResults,
    responses=errors(400, _400="A cursor this search did not give out"),
)
async def search_recipes(
    request: Request,
    keyword: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=256,
            pattern=NO_NUL_PATTERN,
            description='Words, in any order and any form ("tomatoes" finds "tomato"), '
            "each in the name, an ingredient, a tag, the cuisine, the category or the "
            'description; common words such as "with" are left out, and a misspelt word of '
            "5+ letters also finds what its correction finds (ranked below). Ranked: the exact "
            "name, names starting with the words, all words in the name, in name and "
            "ingredients, anywhere; newest first in each. Absent: the newest recipes.",
        ),
    ] = None,
    tag: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=NO_NUL_PATTERN,
            description="Only recipes with this tag (the whole tag, any case)",
        ),
    ] = None,
    ingredient: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=256,
            pattern=NO_NUL_PATTERN,
            description="Only recipes with an ingredient line containing this, any case",
        ),
    ] = None,
    max_total_minutes: Annotated[
        int | None,
        Query(
            ge=0, le=MAX_TOTAL_MINUTES, description="Only recipes ready within this many minutes"
        ),
    ] = None,
    max_results: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="From a previous page's `next_cursor`: the page after it",
        ),
    ] = None,
) -> Response:
    query = SearchQuery(
        keyword=keyword,
        tag=None if tag is None else normalize_tag(tag) or None,
        ingredient=ingredient,
        max_total_minutes=max_total_minutes,
        viewer=Viewer.of(await optional_user(request)),
    )
    reads = reads_of(request)
    found = await search.search_answer(
        reads.db,
        reads.answers,
        query,
        limit=max_results,
        cursor=cursor,
        time_limit=reads.search_seconds,
    )
    return answer(request, found.body, JSON, etag=found.etag)


# Before /{recipe_id}: a fixed path must win over the parameter.
@router.get("/my-recipes/", response_model=MyRecipes, responses=errors(400, 401))
async def list_my_recipes(
    user: CurrentUser,
    db: DatabaseDep,
    skip: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    *,
    key: CursorKey,
) -> MyRecipes:
    """The logged-in user's recipes, newest first, in the tutorial's shape (`results`).

    `next` is the path of the following page (a cursor); follow it to reach every recipe.
    """
    if cursor is not None and skip:
        raise InvalidCursorError("Give either skip or cursor, not both")
    page = await service.list_recipes_by_submitter(
        db, user.id, skip=skip, limit=limit, cursor=cursor, key=key
    )
    return MyRecipes(
        results=page.items, total=page.total, skip=page.skip, limit=page.limit, next=page.next
    )


@router.get("/", response_model=Page[RecipeOut], responses=errors(400))
async def list_recipes(
    db: DatabaseDep,
    skip: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_SKIP,
            description=f"Rows to skip (at most {MAX_SKIP:,}); follow `next` to go further",
        ),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    *,
    key: CursorKey,
    user: OptionalUser,
) -> Page[RecipeOut]:
    """The recipes you may see, newest first: the public ones, and yours with a token."""
    if cursor is not None and skip:
        raise InvalidCursorError("Give either skip or cursor, not both")
    return await service.list_recipes(
        db, skip=skip, limit=limit, cursor=cursor, key=key, viewer=Viewer.of(user)
    )


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


@router.put(
    "/",
    response_model=RecipeOut,
    status_code=status.HTTP_201_CREATED,
    responses={**_WRITE_ERRORS, **_NOT_FOUND},
)
async def update_recipe_by_id(
    body: RecipeUpdateById, user: CurrentUser, db: DatabaseDep
) -> RecipeOut:
    """The tutorial's update: the recipe whose `id` the body gives takes its other fields.

    It answers 201 with the recipe, as the tutorial does. `PATCH /recipes/{id}`
    is the same update with the id in the path (and answers 200).
    """
    return await service.update_recipe(db, body.id, body.update(), user=user)


@router.post(
    "/import",
    response_model=RecipeOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(
            400,
            401,
            413,
            429,
            504,
            _400="The URL is not http(s), or its host is not a public address",
            _413="The body is larger than 3 x IMPORT_MAX_BYTES plus 64 KiB",
            _429="Too many imports by this cook (IMPORT_MAX_PER_COOK), or this server is "
            "importing IMPORT_MAX_CONCURRENT pages already; see Retry-After",
            _504="The page did not arrive within IMPORT_TIMEOUT_SECONDS",
        ),
        **validation_or_rule_error(
            "Invalid URL, a page that cannot be reached or that the site refused us (paste "
            "its `html` instead), one too large or slow to read, not HTML, or without "
            "usable recipe markup; `detail` says which and what to do"
        ),
    },
)
async def import_recipe(
    body: RecipeImport,
    user: CurrentUser,
    db: DatabaseDep,
    importer: ImporterDep,
    request: Request,
) -> RecipeOut:
    """Create a recipe from a page's schema.org Recipe (you submit it).

    With `url` alone the page is fetched (public addresses only). With `html`
    too, that HTML (the page as your browser has it) is read instead and
    nothing is fetched: for sites that refuse servers. Either way the page is
    read in a child process under IMPORT_PARSE_SECONDS and IMPORT_PARSE_MEMORY_MB.
    The page's image, when it names one, is fetched the same way and becomes
    the recipe's photo (`GET /recipes/{id}/photo`); an image that cannot be
    fetched or read leaves the recipe without one. The recipe starts private:
    `"private": false` shares it at once.
    """
    recipe = await service.import_recipe(
        db, importer, str(body.url), user=user, html=body.html, private=body.private
    )
    await photos.bring_photo(db, importer, recipe, request_state(request).photo_limits)
    return recipe


@router.patch(
    "/{recipe_id:recipe_ref}", response_model=RecipeOut, responses={**_WRITE_ERRORS, **_NOT_FOUND}
)
async def update_recipe(
    recipe_id: RecipeId, changes: RecipeUpdate, user: CurrentUser, db: DatabaseDep
) -> RecipeOut:
    return await service.update_recipe(db, recipe_id, changes, user=user)


@router.delete(
    "/{recipe_id:recipe_ref}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**errors(401, 403), **_NOT_FOUND},
)
async def delete_recipe(recipe_id: RecipeId, user: CurrentUser, db: DatabaseDep) -> Response:
    await service.delete_recipe(db, recipe_id, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
