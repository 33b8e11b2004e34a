"""Path parameters of the recipe routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.convertors import Convertor, register_url_convertor

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
