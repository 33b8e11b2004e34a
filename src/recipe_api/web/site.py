"""Puts the website on the app: its routes, error pages, static files and CSRF check."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from recipe_api.errors import AppError
from recipe_api.settings import Settings
from recipe_api.web import (
    accounts,
    docs,
    favourites,
    ideas,
    meal_plan,
    my_recipes,
    pages,
    passwords,
    shopping,
)
from recipe_api.web.csrf import CsrfMiddleware
from recipe_api.web.errors import app_error, http_error, login_required, validation_error
from recipe_api.web.signed_in import LoginRequired
from recipe_api.web.templating import STATIC_DIR

router = APIRouter(include_in_schema=False)
for area in (pages, accounts, passwords, my_recipes, favourites, meal_plan, shopping, ideas, docs):
    router.include_router(area.router)


def add_website(app: FastAPI) -> None:
    """The pages and the error handlers, which answer both faces (HTML or JSON)."""
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS_DIR), name="docs-assets")


def add_csrf(app: FastAPI, settings: Settings, *, secret: str) -> None:
    """The CSRF check; main.py places it in the middleware order (inside the body limit)."""
    app.add_middleware(
        CsrfMiddleware,
        secret=secret,
        secure=settings.environment == "production",
        # Behind a proxy that terminates TLS without --proxy-headers, the scheme the
        # server sees is http; the address users see is still this site.
        trusted_origins=[settings.public_base_url],
    )
