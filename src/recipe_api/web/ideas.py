"""Recipe ideas as a page: the same fan-out as ``/api/v1/ideas``, every source's state shown.

Each idea can be saved as a recipe of the signed-in cook's own: the card's
form posts the idea as the page showed it (hidden fields), and the recipe
schema validates it like any other recipe, since nothing in it is trusted
beyond what a cook could have typed into the add-recipe form themselves.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.ideas.dependencies import IdeasDep
from recipe_api.ideas.schemas import IdeaSource
from recipe_api.recipes import service as recipes
from recipe_api.recipes.from_idea import IdeaCard, recipe_from_idea
from recipe_api.web.forms import field_errors, read_form
from recipe_api.web.signed_in import SignedInUser, WebUser
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)

IDEA_FIELDS = ("title", "url", "permalink", "subreddit", "image_url")


@router.get("/ideas", response_class=HTMLResponse)
async def ideas_page(request: Request, ideas: IdeasDep, user: WebUser) -> HTMLResponse:
    started = time.perf_counter()
    results = await ideas.top_posts()
    elapsed = time.perf_counter() - started
    sources = [IdeaSource.model_validate(result) for result in results]
    now = time.time()
    return page(
        request,
        "ideas.html",
        sources=sources,
        ages={s.name: now - s.fetched_at.timestamp() for s in sources if s.fetched_at},
        elapsed_ms=elapsed * 1000,
        all_failed=all(source.status == "error" for source in sources),
    )


@router.post("/ideas/save", response_class=HTMLResponse, response_model=None)
async def save_idea(
    request: Request, db: DatabaseDep, user: SignedInUser
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, IDEA_FIELDS)
    try:
        card = IdeaCard.from_form(values)
        data = recipe_from_idea(card)
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {message}" for name, message in field_errors(exc).items())
        return page(
            request,
            "error.html",
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            status=422,
            title="That idea could not be saved",
            message=f"The idea's details are not a valid recipe ({problems}). "
            "Reload the ideas page and try again, or add the recipe yourself.",
        )
    # The idea is the reddit post (its page), or what it links to when the form has no page.
    idea = card.permalink or data.url
    recipe_id, created = await recipes.create_recipe_once(
        db, data, user=user, idea_url=None if idea is None else str(idea)
    )
    # Saved before: the cook's recipe as it is now, not a second copy.
    where = f"/recipes/{recipe_id}/edit?from_idea=1" if created else f"/recipes/{recipe_id}?kept=1"
    return RedirectResponse(where, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/ideas/save", include_in_schema=False)
async def save_idea_again() -> RedirectResponse:
    # Where the login form sends a cook whose session ended before the post.
    return RedirectResponse("/ideas", status_code=status.HTTP_303_SEE_OTHER)
