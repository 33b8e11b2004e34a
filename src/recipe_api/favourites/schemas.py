"""The favourites' API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from recipe_api.recipes.schemas import RecipeOut


class FavouriteOut(BaseModel):
    recipe: RecipeOut
    favourited_at: datetime


class Favourites(BaseModel):
    """A page of your favourites, the newest marked first."""

    items: list[FavouriteOut]
    limit: int
    next: str | None = Field(
        default=None, description="The next page (a path with a cursor); null on the last page."
    )
