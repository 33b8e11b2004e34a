"""The hot routes' quick path (``http/routing.py``'s ``QuickRoute``) answers as FastAPI would.

Each request is sent twice to the same app: once as it is served (the quick
path where it applies), once with the hot routes put back on FastAPI's own
handler; status, headers and body must be the same but for the headers that
differ per request by design.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from recipe_api.http.routing import QuickRoute
from tests.conftest import Account

pytestmark = pytest.mark.usefixtures("seeded")

# Differ between any two requests: the request id and the time taken.
PER_REQUEST = {"x-request-id", "x-process-time", "date"}


def quick_routes(app: FastAPI) -> list[QuickRoute]:
    return [route for route in app.router.routes if isinstance(route, QuickRoute)]


@contextmanager
def fastapi_handler_only(app: FastAPI) -> Iterator[None]:
    """The hot routes served by FastAPI's own handler, as a plain ``APIRoute`` serves."""
    routes = quick_routes(app)
    quick = [route.app for route in routes]
    for route in routes:
        route.app = route.fastapi_app
    try:
        yield
    finally:
        for route, app_of_route in zip(routes, quick, strict=True):
            route.app = app_of_route


@contextmanager
def fastapi_handler_broken(app: FastAPI) -> Iterator[None]:
    """FastAPI's handler of the hot routes fails: only the quick path can answer."""

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("FastAPI's handler was called")

    routes = quick_routes(app)
    kept = [route.fastapi_app for route in routes]
    for route in routes:
        route.fastapi_app = broken
    try:
        yield
    finally:
        for route, handler in zip(routes, kept, strict=True):
            route.fastapi_app = handler


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in PER_REQUEST]
    return response.status_code, headers, response.content


async def both_ways(
    client: httpx.AsyncClient, app: FastAPI, path: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    quick = await client.get(path, **kwargs)
    with fastapi_handler_only(app):
        fastapi = await client.get(path, **kwargs)
    assert comparable(quick) == comparable(fastapi)
    return quick, fastapi


async def private_recipe(client: httpx.AsyncClient, cook: Account) -> int:
    response = await client.post(
        "/api/v1/recipes/",
        json={"label": "Quince jelly", "source": "Me", "url": "https://e.com/q", "private": True},
        headers=cook.headers,
    )
    assert response.status_code == 201, response.text
    recipe_id: int = response.json()["id"]
    return recipe_id


def test_the_hot_routes_take_the_quick_path(app: FastAPI) -> None:
    paths = {route.path: route.quick_plan is not None for route in quick_routes(app)}
    assert paths == {
        "/api/v1/recipes/{recipe_id:recipe_ref}": True,
        "/api/v1/recipes/search/": True,
        "/": True,
        "/search": True,
    }


async def test_a_found_recipe_is_the_same_answer(client: httpx.AsyncClient, app: FastAPI) -> None:
    quick, _ = await both_ways(client, app, "/api/v1/recipes/1")
    assert quick.status_code == 200
    assert quick.json()["label"] == "Chicken Vesuvio"
    assert quick.headers["etag"]


async def test_a_conditional_read_is_the_same_304(client: httpx.AsyncClient, app: FastAPI) -> None:
    etag = (await client.get("/api/v1/recipes/1")).headers["etag"]
    quick, _ = await both_ways(client, app, "/api/v1/recipes/1", headers={"If-None-Match": etag})
    assert quick.status_code == 304


async def test_a_missing_recipe_is_the_same_404(client: httpx.AsyncClient, app: FastAPI) -> None:
    quick, _ = await both_ways(client, app, "/api/v1/recipes/4242")
    assert quick.status_code == 404
    assert quick.json() == {"detail": "Recipe with ID 4242 not found"}


async def test_a_private_recipe_read_anonymously_is_the_same_404(
    client: httpx.AsyncClient, app: FastAPI, seeded: Account
) -> None:
    recipe_id = await private_recipe(client, seeded)
    quick, _ = await both_ways(client, app, f"/api/v1/recipes/{recipe_id}")
    assert quick.status_code == 404
    # Its cook reads it, on the quick path too (the token is read from the request).
    mine, _ = await both_ways(client, app, f"/api/v1/recipes/{recipe_id}", headers=seeded.headers)
    assert mine.status_code == 200 and mine.json()["private"] is True


@pytest.mark.parametrize("bad_id", ["abc", "0", "2147483648"])
async def test_a_bad_id_is_fastapis_own_422(
    client: httpx.AsyncClient, app: FastAPI, bad_id: str
) -> None:
    quick, _ = await both_ways(client, app, f"/api/v1/recipes/{bad_id}")
    assert quick.status_code == 422
    assert quick.json()["detail"][0]["loc"] == ["path", "recipe_id"]


async def test_a_query_string_is_the_same_answer(client: httpx.AsyncClient, app: FastAPI) -> None:
    scaled, _ = await both_ways(client, app, "/api/v1/recipes/1", params={"servings": 2})
    assert scaled.status_code == 200
    refused, _ = await both_ways(client, app, "/api/v1/recipes/1", params={"servings": 0})
    assert refused.status_code == 422


async def test_the_search_and_the_pages_are_the_same_answers(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    for path in ("/api/v1/recipes/search/", "/", "/search"):
        quick, _ = await both_ways(client, app, path)
        assert quick.status_code == 200, path


async def test_a_plain_request_never_reaches_fastapis_handler(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    with fastapi_handler_broken(app):
        for path in ("/api/v1/recipes/1", "/api/v1/recipes/4242", "/api/v1/recipes/search/", "/"):
            response = await client.get(path)
            assert response.status_code in (200, 404), path
        # What the quick path leaves to FastAPI does reach it, and fails (a 500).
        assert (await client.get("/api/v1/recipes/1", params={"servings": 2})).status_code == 500
        assert (await client.get("/api/v1/recipes/abc")).status_code == 500
