"""``GET /api/v1/``: where the API's resources and its documentation are."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from recipe_api import __version__

router = APIRouter(tags=["index"])


class ApiIndex(BaseModel):
    name: str
    version: str
    resources: dict[str, str] = Field(description="Resource name to its path")
    docs: dict[str, str] = Field(description="Swagger UI, ReDoc and the OpenAPI document")


_INDEX = ApiIndex(
    name="Recipe API",
    version=__version__,
    resources={
        "recipes": "/api/v1/recipes/",
        "search": "/api/v1/recipes/search/",
        "ideas": "/api/v1/ideas",
        "signup": "/api/v1/auth/signup",
        "login": "/api/v1/auth/login",
        "me": "/api/v1/auth/me",
    },
    docs={"swagger": "/docs", "redoc": "/redoc", "openapi": "/openapi.json"},
)


@router.get("/", response_model=ApiIndex)
async def api_index() -> ApiIndex:
    return _INDEX
