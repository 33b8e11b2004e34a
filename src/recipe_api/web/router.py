from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from recipe_api import __version__
from recipe_api.db.engine import DatabaseDep
from recipe_api.recipes import service as recipes

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
HOME_PAGE_RECIPES = 24

templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, db: DatabaseDep) -> HTMLResponse:
    page = await recipes.list_recipes(db, skip=0, limit=HOME_PAGE_RECIPES)
    return templates.TemplateResponse(
        request,
        "home.html",
        {"recipes": page.items, "total": page.total, "version": __version__},
    )
