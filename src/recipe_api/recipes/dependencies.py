"""Path parameters of the recipe routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from recipe_api.recipes.importer import Importer
from recipe_api.schemas import MAX_ID

RecipeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The recipe's ID")]


def get_importer(request: Request) -> Importer:
    importer: Importer = request.app.state.importer
    return importer


ImporterDep = Annotated[Importer, Depends(get_importer)]
