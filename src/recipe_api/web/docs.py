"""Swagger UI and ReDoc served from this server: their assets come from fastapi-offline.

FastAPI's own pages load both from a CDN and start Swagger with an inline
script; ours take the assets from the installed package and start Swagger
from a file of our own, so the Content-Security-Policy can forbid inline
scripts here too.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from recipe_api.web.templating import render

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"

router = APIRouter(include_in_schema=False)


def _docs_page(request: Request, template: str, name: str) -> HTMLResponse:
    html = render(
        template,
        title=f"{request.app.title} - {name}",
        openapi_url=request.app.openapi_url,
        assets=ASSETS_URL,
    )
    return HTMLResponse(html)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    return _docs_page(request, "swagger.html", "Swagger UI")


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    return _docs_page(request, "redoc.html", "ReDoc")
