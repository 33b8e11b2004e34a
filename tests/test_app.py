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
