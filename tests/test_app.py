from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.db.engine import Database


async def test_live_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


async def test_ready_is_503_without_database(
    app: FastAPI, client: httpx.AsyncClient, settings: object
) -> None:
    app.state.db = Database.from_url("postgresql://nobody@127.0.0.1:1/none")
    try:
        response = await client.get("/health/ready")
    finally:
        await app.state.db.aclose()
    assert response.status_code == 503
    assert response.json()["detail"].startswith("database unreachable")
    assert "nobody" not in response.text


async def test_unexpected_error_is_opaque_json_500(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert "secret" not in response.text
    assert float(response.headers["x-process-time"]) >= 0
    assert "secret internals" in caplog.text


async def test_docs_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/recipes/{recipe_id}" in spec["paths"]
    assert "/api/v1/recipes/search/" in spec["paths"]


async def test_lost_database_is_503_not_500(app: FastAPI, client: httpx.AsyncClient) -> None:
    working = app.state.db
    app.state.db = Database.from_url("postgresql://nobody@127.0.0.1:1/none")
    try:
        response = await client.get("/api/v1/recipes/1")
        search = await client.get("/api/v1/recipes/search/", params={"keyword": "chicken"})
    finally:
        await app.state.db.aclose()
        app.state.db = working
    assert response.status_code == search.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again shortly"}
    assert response.headers["retry-after"] == "5"
    assert "nobody" not in response.text


async def test_api_index_links_to_what_exists(client: httpx.AsyncClient) -> None:
    index = await client.get("/api/v1/")
    assert index.status_code == 200
    body = index.json()
    assert body["docs"]["swagger"] == "/docs"
    for path in [*body["docs"].values(), *body["resources"].values()]:
        method = "POST" if path.startswith("/api/v1/auth/") and path != "/api/v1/auth/me" else "GET"
        answer = await client.request(method, path)
        assert answer.status_code not in (404, 405), path


async def test_head_is_get_without_a_body(client: httpx.AsyncClient) -> None:
    for path in ["/", "/api/v1/recipes/", "/health/live", "/api/v1/recipes/42"]:
        get = await client.get(path)
        head = await client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["content-type"] == get.headers["content-type"]


async def test_options_and_405_list_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    every = "DELETE, GET, HEAD, OPTIONS, PATCH"
    options = await client.options("/api/v1/recipes/7")
    assert options.status_code == 204
    assert options.headers["allow"] == every
    put = await client.put("/api/v1/recipes/7", json={})
    assert put.status_code == 405
    assert put.headers["allow"] == every
    assert put.json() == {"detail": "Method Not Allowed"}
    allowed = (await client.options("/api/v1/recipes/")).headers["allow"]
    assert allowed == "GET, HEAD, OPTIONS, POST, PUT"
    # A POST-only path: HEAD is not GET there, so it is a 405 that says so.
    head_login = await client.head("/api/v1/auth/login")
    assert head_login.status_code == 405
    assert head_login.headers["allow"] == "OPTIONS, POST"
    # The website's pages are not in the OpenAPI document; they answer the same way.
    head_home = await client.head("/")
    assert head_home.status_code == 200
    assert head_home.content == b""
    options_login = await client.options("/login")
    assert options_login.status_code == 204
    assert options_login.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    delete_home = await client.delete("/", headers={"Accept": "text/html"})
    assert delete_home.status_code == 405
    assert delete_home.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "text/html" in delete_home.headers["content-type"]
    put_login = await client.put("/login")
    assert put_login.status_code == 405
    assert put_login.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert (await client.options("/static/style.css")).headers["allow"] == "GET, HEAD, OPTIONS"


async def test_every_operation_documents_its_errors(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    error_ref = "#/components/schemas/ErrorOut"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")) and code != "422":
                    schema = response["content"]["application/json"]["schema"]
                    if path.startswith(("/api/v1/ideas", "/api/v1/recipes/ideas")):
                        continue  # the ideas failures carry per-source detail
                    if path == "/health/ready":
                        continue
                    assert schema == {"$ref": error_ref}, (method, path, code)
    recipe = spec["paths"]["/api/v1/recipes/{recipe_id}"]
    assert set(recipe["patch"]["responses"]) >= {"200", "401", "403", "404", "422", "503"}
    assert "Retry-After" in recipe["get"]["responses"]["503"]["headers"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("1", True),
        ("TRUE", True),
        (None, False),
        ("", False),
        ("false", False),
        ("0", False),
        ("no", False),
    ],
)
def test_only_a_true_ci_variable_means_ci(value: str | None, expected: bool) -> None:
    from tests.conftest import _in_ci

    assert _in_ci(value) is expected


async def test_the_state_is_typed_and_one_with_app_state(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from recipe_api.state import AppState, app_state

    state = app_state(app)
    assert isinstance(state, AppState)
    assert state.db is app.state.db and state.settings is app.state.settings
    # A swap through either name is what the routes' typed accessors hand out.
    working = state.db
    app.state.db = Database.from_url("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert app_state(app).db is app.state.db
        assert (await client.get("/health/ready")).status_code == 503
    finally:
        await app.state.db.aclose()
        state.db = working
    assert (await client.get("/health/ready")).status_code == 200


def test_the_state_is_not_there_before_the_lifespan(settings: object) -> None:
    from recipe_api.main import create_app
    from recipe_api.state import app_state

    with pytest.raises(RuntimeError, match="lifespan"):
        app_state(create_app(settings))  # type: ignore[arg-type]
