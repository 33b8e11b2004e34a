"""The worker's ideas service, and the subreddits a request asks for, validated."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from recipe_api.errors import AppError
from recipe_api.ideas.client import SUBREDDIT_PATTERN, unique_subreddits
from recipe_api.ideas.service import IdeasService
from recipe_api.state import request_state

MAX_SUBREDDITS = 10
MAX_POSTS = 25
# The rule below, stated in the schema: 1 to MAX_SUBREDDITS names, commas between.
_SPACE = " \t\n\r\f\v"  # ASCII only: JSON Schema's \s and Python's strip() differ
_NAME = rf"[{_SPACE}]*{SUBREDDIT_PATTERN}[{_SPACE}]*"
SUBREDDITS_PATTERN = rf"^{_NAME}(,{_NAME}){{0,{MAX_SUBREDDITS - 1}}}$"


class InvalidSubredditsError(AppError):
    status_code = 422


async def get_ideas_service(request: Request) -> IdeasService:
    return request_state(request).ideas


IdeasDep = Annotated[IdeasService, Depends(get_ideas_service)]


async def chosen_subreddits(
    subreddits: Annotated[
        str | None,
        Query(
            max_length=MAX_SUBREDDITS * 22,
            # Documented, not enforced by FastAPI: the check below says which name is wrong.
            json_schema_extra={"pattern": SUBREDDITS_PATTERN},
            description=f"Comma-separated subreddit names, at most {MAX_SUBREDDITS}; "
            "default: the configured IDEAS_SUBREDDITS.",
            examples=["recipes,easyrecipes"],
        ),
    ] = None,
) -> tuple[str, ...] | None:
    if subreddits is None:
        return None
    names = [name.strip(_SPACE) for name in subreddits.split(",")]
    if len(names) > MAX_SUBREDDITS:
        raise InvalidSubredditsError(f"at most {MAX_SUBREDDITS} subreddits per request")
    try:
        return unique_subreddits(names)
    except ValueError as exc:
        raise InvalidSubredditsError(
            f"{exc.args[0]!r} is not a subreddit name (2-21 letters, digits or underscores)"
        ) from None


ChosenSubreddits = Annotated[tuple[str, ...] | None, Depends(chosen_subreddits)]
PostLimit = Annotated[
    int | None,
    Query(ge=1, le=MAX_POSTS, description="Posts per subreddit; default: IDEAS_LIMIT."),
]
