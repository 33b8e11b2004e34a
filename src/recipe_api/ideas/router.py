"""The tutorial's two idea endpoints, and the structured one.

The tutorial-shaped answers are encoded with orjson straight into a
``Response``: they are the hot path the benchmark measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, Response, status

from recipe_api.http.responses import validation_or_rule_error
from recipe_api.ideas.dependencies import ChosenSubreddits, IdeasDep, PostLimit
from recipe_api.ideas.schemas import IdeasFailure, IdeaSource, IdeasOut, TutorialIdeas
from recipe_api.ideas.service import SourceResult

router = APIRouter(tags=["ideas"])

FAILED_HEADER = "X-Ideas-Failed"
STALE_HEADER = "X-Ideas-Stale"

_HEADERS_DOC = {
    FAILED_HEADER: {"description": "The sources that failed (empty lists), comma-separated"},
    STALE_HEADER: {"description": "The sources served from an older copy, comma-separated"},
}
_TUTORIAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": TutorialIdeas, "headers": _HEADERS_DOC},
    502: {"model": IdeasFailure, "description": "Every source failed"},
}


def _source_headers(results: Sequence[SourceResult]) -> dict[str, str]:
    by_header = {FAILED_HEADER: "error", STALE_HEADER: "stale"}
    names = {h: ",".join(r.name for r in results if r.status == s) for h, s in by_header.items()}
    return {header: value for header, value in names.items() if value}


def _all_failed(results: Sequence[SourceResult]) -> bool:
    return all(r.status == "error" for r in results)


def _tutorial_answer(results: Sequence[SourceResult]) -> Response:
    body: dict[str, Any]
    code = status.HTTP_200_OK
    if _all_failed(results):
        errors = {r.name: r.error or "failed" for r in results}
        detail = f"All {len(results)} sources failed: " + "; ".join(errors.values())
        body, code = {"detail": detail, "errors": errors}, status.HTTP_502_BAD_GATEWAY
    else:
        body = {r.name: [f"{p.score}: {p.title} ({p.url})" for p in r.posts] for r in results}
    headers = _source_headers(results)
    return Response(orjson.dumps(body), code, headers, media_type="application/json")


@router.get("/api/v1/recipes/ideas/async", response_model=None, responses=_TUTORIAL_RESPONSES)
async def fetch_ideas_async(ideas: IdeasDep) -> Response:
    """The day's top posts of each configured subreddit, fetched concurrently."""
    return _tutorial_answer(await ideas.top_posts())


@router.get("/api/v1/recipes/ideas/", response_model=None, responses=_TUTORIAL_RESPONSES)
async def fetch_ideas(ideas: IdeasDep) -> Response:
    """The same, one subreddit after another: the baseline that shows what async buys."""
    return _tutorial_answer(await ideas.top_posts(one_by_one=True))


@router.get(
    "/api/v1/ideas",
    response_model=IdeasOut,
    responses={
        200: {"headers": _HEADERS_DOC},
        502: {"model": IdeasOut, "description": "Every source failed; each says why"},
        **validation_or_rule_error("Invalid limit, or a subreddit list that breaks a rule"),
    },
)
async def list_ideas(
    ideas: IdeasDep, subreddits: ChosenSubreddits, response: Response, limit: PostLimit = None
) -> IdeasOut:
    """Per subreddit: its status, why it failed if it did, and its posts in full."""
    results = await ideas.top_posts(subreddits, limit)
    response.headers.update(_source_headers(results))
    if _all_failed(results):
        response.status_code = status.HTTP_502_BAD_GATEWAY
    return IdeasOut(sources=[IdeaSource.model_validate(result) for result in results])
