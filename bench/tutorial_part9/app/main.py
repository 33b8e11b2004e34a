"""The app (the tutorial's main.py and api/api_v1/endpoints/recipe.py: the reads and the create)."""

import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from app import crud, deps
from app.schemas import Recipe, RecipeCreate, RecipeSearchResults

BASE_PATH = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=str(BASE_PATH / "templates"))

recipe_router = APIRouter()


@recipe_router.get("/{recipe_id}", status_code=200, response_model=Recipe)
def fetch_recipe(*, recipe_id: int, db: Session = Depends(deps.get_db)) -> Any:  # noqa: B008
    result = crud.recipe.get(db=db, id=recipe_id)
    if not result:
        raise HTTPException(status_code=404, detail=f"Recipe with ID {recipe_id} not found")
    return result


@recipe_router.get("/search/", status_code=200, response_model=RecipeSearchResults)
def search_recipes(
    *,
    keyword: str = Query(None, min_length=3, example="chicken"),
    max_results: int | None = 10,
    db: Session = Depends(deps.get_db),  # noqa: B008
) -> dict:
    recipes = crud.recipe.get_multi(db=db, limit=max_results)
    results = filter(lambda recipe: keyword.lower() in recipe.label.lower(), recipes)
    return {"results": list(results)}


@recipe_router.post("/", status_code=201, response_model=Recipe)
def create_recipe(*, recipe_in: RecipeCreate, db: Session = Depends(deps.get_db)) -> dict:  # noqa: B008
    """Create a new recipe in the database."""
    recipe = crud.recipe.create(db=db, obj_in=recipe_in)
    return recipe


api_router = APIRouter()
api_router.include_router(recipe_router, prefix="/recipes", tags=["recipes"])

root_router = APIRouter()
app = FastAPI(title="Recipe API", openapi_url="/openapi.json")


@root_router.get("/", status_code=200)
def root(request: Request, db: Session = Depends(deps.get_db)) -> Any:  # noqa: B008
    recipes = crud.recipe.get_multi(db=db, limit=10)
    return TEMPLATES.TemplateResponse("index.html", {"request": request, "recipes": recipes})


@app.middleware("http")
async def add_process_time_header(request: Request, call_next: Any) -> Any:
    start_time = time.time()
    response = await call_next(request)
    process_time = time.time() - start_time
    response.headers["X-Process-Time"] = str(process_time)
    return response


app.include_router(api_router, prefix="/api/v1")
app.include_router(root_router)
