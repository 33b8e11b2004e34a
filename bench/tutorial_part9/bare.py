"""A bare FastAPI endpoint on the tutorial's pinned stack: a constant dict, no database."""

from typing import Any

from fastapi import FastAPI

bare = FastAPI()


@bare.get("/api/v1/recipes/{recipe_id}")
async def constant(recipe_id: int) -> dict[str, Any]:
    return {"id": recipe_id, "label": "Chicken Vesuvio", "source": "Serious Eats"}
