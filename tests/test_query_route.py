"""``QueryRoute``: the same answers as FastAPI's own route, its parameters checked in one call.

Two routes with one declaration (the search's parameters), one an
``APIRoute`` and one a ``QueryRoute``, are asked the same query strings:
valid, invalid, odd. Their answers (status and bytes) and their OpenAPI
parameters must be the same, and a valid query string must not go through
FastAPI's dependency solving.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Annotated, Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from recipe_api.http.routing import QueryRoute, _query_model
from recipe_api.schemas import NO_NUL_PATTERN


async def declared(
    request: Request,
    keyword: Annotated[
        str | None,
        Query(min_length=3, max_length=256, pattern=NO_NUL_PATTERN, description="Words"),
    ] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL_PATTERN)] = None,
    max_total_minutes: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    max_results: Annotated[int, Query(ge=1, le=100)] = 10,
    cursor: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> Response:
    values = {
        "keyword": keyword,
        "tag": tag,
        "max_total_minutes": max_total_minutes,
        "max_results": max_results,
        "cursor": cursor,
        "path": request.url.path,
    }
    return Response(json.dumps(values, sort_keys=True), media_type="application/json")


def _app() -> FastAPI:
    app = FastAPI()
    plain = APIRouter()
    plain.add_api_route("/plain", declared, methods=["GET"])
    checked = APIRouter(route_class=QueryRoute)
    checked.add_api_route("/checked", declared, methods=["GET"])
    app.include_router(plain)
    app.include_router(checked)
    return app


QUERIES = [
    "",
    "keyword=chicken",
    "keyword=chicken&max_results=10",
    "keyword=rice+soup&tag=dinner&max_total_minutes=30&max_results=5&cursor=abc_-1",
    "max_results=007",
    "max_results=+7",
    "max_total_minutes=0",
    "keyword=caf%C3%A9+cr%C3%A8me",
    "keyword=ab",
    "keyword=",
    "keyword=%00abc",
    "max_results=0",
    "max_results=101",
    "max_results=abc",
    "max_results=1.0",
    "max_results=1.5",
    "max_total_minutes=-1",
    "max_total_minutes=true",
    "cursor=a%2Fb",
    "tag=" + "x" * 65,
    "keyword=one&keyword=three",
    "keyword=ab&keyword=chicken",
    "keyword=chicken&unknown=1",
    "keyword=ab&max_results=0&max_total_minutes=x",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_same_answers_as_fastapis_route(query: str) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        plain = await client.get(f"/plain?{query}")
        checked = await client.get(f"/checked?{query}")
    assert checked.status_code == plain.status_code
    assert checked.content.replace(b"/checked", b"/plain") == plain.content
    assert checked.headers["content-type"] == plain.headers["content-type"]


def test_same_openapi_parameters() -> None:
    paths = _app().openapi()["paths"]
    assert paths["/checked"]["get"]["parameters"] == paths["/plain"]["get"]["parameters"]
    assert len(paths["/plain"]["get"]["parameters"]) == 5


async def test_a_valid_query_does_not_solve_dependencies(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app()

    async def refused(**kwargs: Any) -> Any:
        raise AssertionError("FastAPI's dependency solving was used")

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", refused)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        found = await client.get("/checked?keyword=chicken&max_results=3")
        assert found.status_code == 200
        assert found.json()["max_results"] == 3
        with pytest.raises(AssertionError, match="dependency solving"):
            await client.get("/plain?keyword=chicken")


def test_other_routes_are_fastapis() -> None:
    async def with_path(item: int, request: Request) -> Response:
        return Response()

    async def with_dependency(
        request: Request, value: Annotated[int, Depends(lambda: 1)]
    ) -> Response:
        return Response()

    async def with_model(request: Request) -> dict[str, int]:
        return {}

    router = APIRouter(route_class=QueryRoute)
    endpoints: list[tuple[str, Callable[..., Any]]] = [
        ("/{item}", with_path),
        ("/d", with_dependency),
        ("/m", with_model),
    ]
    for path, endpoint in endpoints:
        router.add_api_route(path, endpoint, methods=["GET"])
    assert all(_query_model(route) is None for route in router.routes)  # type: ignore[arg-type]
    assert inspect.iscoroutinefunction(declared)
