"""The worker's ideas service, and the subreddits a request asks for, validated."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from recipe_api.errors import AppError
from recipe_api.ideas.client import SUBREDDIT_PATTERN, is_valid_subreddit
from recipe_api.ideas.service import IdeasService

MAX_SUBREDDITS = 10
MAX_POSTS = 25
# What chosen_subreddits accepts, for the OpenAPI document; the check itself stays in
# the dependency, whose 422 names the offending subreddit.
_SUBREDDITS_PATTERN = rf"^\s*{SUBREDDIT_PATTERN}\s*(,\s*{SUBREDDIT_PATTERN}\s*)*$"


class InvalidSubredditsError(AppError):
    status_code = 422


async def get_ideas_service(request: Request) -> IdeasService:
    service: IdeasService = request.app.state.ideas
    return service


IdeasDep = Annotated[IdeasService, Depends(get_ideas_service)]


async def chosen_subreddits(
    subreddits: Annotated[
        str | None,
        Query(
            max_length=MAX_SUBREDDITS * 22,
            description=f"Comma-separated subreddit names, at most {MAX_SUBREDDITS}; "
            "default: the configured IDEAS_SUBREDDITS.",
            examples=["recipes,easyrecipes"],
            json_schema_extra={"pattern": _SUBREDDITS_PATTERN},
        ),
    ] = None,
) -> tuple[str, ...] | None:
    if subreddits is None:
        return None
    names: list[str] = []
    for raw in subreddits.split(","):
        name = raw.strip()
        if not is_valid_subreddit(name):
            raise InvalidSubredditsError(
                f"{name!r} is not a subreddit name (2-21 letters, digits or underscores)"
            )
        if name.lower() not in (known.lower() for known in names):
            names.append(name)
    if len(names) > MAX_SUBREDDITS:
        raise InvalidSubredditsError(f"at most {MAX_SUBREDDITS} subreddits per request")
    return tuple(names)


ChosenSubreddits = Annotated[tuple[str, ...] | None, Depends(chosen_subreddits)]
PostLimit = Annotated[
    int | None,
    Query(ge=1, le=MAX_POSTS, description="Posts per subreddit; default: IDEAS_LIMIT."),
]
