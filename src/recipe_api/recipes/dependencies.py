"""Path parameters of the recipe routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from recipe_api.schemas import MAX_ID

RecipeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The recipe's ID")]
