"""Path parameters of the recipe routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.convertors import Convertor, register_url_convertor

from recipe_api.db.engine import Database
from recipe_api.recipes.cache import VersionedCache
from recipe_api.recipes.importer import Importer
from recipe_api.schemas import MAX_ID
from recipe_api.state import request_state


class RecipeRefConvertor(Convertor[str]):
    """A recipe id segment in a route: anything but the fixed paths beside it.

    ``/recipes/import`` is its own resource (POST only): matched as an id, a
    PATCH there would be a 422 about a bad id rather than a 405, and its
    ``Allow`` would list the id's methods. The value is still validated as an
    id (``RecipeId``), so ``/recipes/abc`` stays a 422.
    """

    regex = "(?!(?:import|imports)$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("recipe_ref", RecipeRefConvertor())

RecipeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The recipe's ID")]


def get_importer(request: Request) -> Importer:
    return request_state(request).importer


ImporterDep = Annotated[Importer, Depends(get_importer)]


def get_cursor_key(request: Request) -> bytes:
    """The key list cursors are signed with, made once per app from its secret."""
    return request_state(request).cursor_key


CursorKey = Annotated[bytes, Depends(get_cursor_key)]


@dataclass(frozen=True, slots=True)
class Reads:
    """What the recipe read and the search need from the app's state, typed.

    Read with :func:`reads_of` in the route rather than as a dependency: a
    dependency FastAPI solves (its own ``Request`` parameter, its exit stack)
    cost 20-30 µs of CPU a request in-process, a sixth of the cached read
    (decision 0024).
    """

    db: Database
    answers: VersionedCache
    search_seconds: float


def reads_of(request: Request) -> Reads:
    state = request_state(request)
    return Reads(state.db, state.recipe_answers, state.settings.search_timeout_ms / 1000)
