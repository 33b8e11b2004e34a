"""Dependencies that validate: a recipe that exists, and one the current user may change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.engine import DatabaseDep
from recipe_api.recipes import service
from recipe_api.recipes.schemas import RecipeOut
from recipe_api.schemas import MAX_ID

RecipeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The recipe's ID")]


async def recipe_or_404(recipe_id: RecipeId, db: DatabaseDep) -> RecipeOut:
    return await service.get_recipe(db, recipe_id)


async def owned_recipe(
    recipe: Annotated[RecipeOut, Depends(recipe_or_404)], user: CurrentUser
) -> RecipeOut:
    service.ensure_may_change(recipe, user)
    return recipe


OwnedRecipe = Annotated[RecipeOut, Depends(owned_recipe)]
