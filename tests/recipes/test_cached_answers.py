"""Conditional GET on the read and the search; search answers kept per recipes version.

Every test runs on SQLite and on PostgreSQL. "Another worker" is a second app
on the same database: it shares nothing with the first but the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text

from recipe_api.db.engine import Database
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import Account

SEARCH = "/api/v1/recipes/search/?keyword=vesuvio"


@asynccontextmanager
async def another_worker(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_read_carries_an_etag_and_answers_304_when_the_client_has_it(
    client: httpx.AsyncClient, seeded: Account
) -> None:
    first = await client.get("/api/v1/recipes/1")
    etag = first.headers["etag"]
    assert first.status_code == 200
    assert etag.startswith('W/"')

    again = await client.get("/api/v1/recipes/1", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "x-process-time" in again.headers and "x-request-id" in again.headers
    # A list of tags, a strong form of the same tag, or * match too (weak comparison).
    for sent in (f'"nope", {etag}', etag.removeprefix("W/"), "*"):
        assert (
            await client.get("/api/v1/recipes/1", headers={"If-None-Match": sent})
        ).status_code == 304
    other = await client.get("/api/v1/recipes/2", headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag


async def test_a_changed_recipe_has_a_new_etag(client: httpx.AsyncClient, seeded: Account) -> None:
    etag = (await client.get("/api/v1/recipes/1")).headers["etag"]
    changed = await client.patch(
        "/api/v1/recipes/1", json={"label": "Chicken Vesuvio, again"}, headers=seeded.headers
    )
    assert changed.status_code == 200

    response = await client.get("/api/v1/recipes/1", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.json()["label"] == "Chicken Vesuvio, again"
    assert response.headers["etag"] != etag


async def test_the_read_answers_as_before(client: httpx.AsyncClient, seeded: Account) -> None:
    """Served as bytes made by the route: the same JSON, the same errors."""
    response = await client.get("/api/v1/recipes/1", headers={"Accept-Encoding": "identity"})
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    # gzip is another encoding of the same content: the weak tag is the same.
    zipped = await client.get("/api/v1/recipes/1", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == response.headers["etag"]
    assert zipped.json() == response.json()
    assert response.json()["label"] == "Chicken Vesuvio"
    assert response.json()["created_at"].endswith("Z")
    assert (await client.get("/api/v1/recipes/999")).status_code == 404
    assert (await client.get("/api/v1/recipes/0")).status_code == 422
    assert (await client.get("/api/v1/recipes/abc")).status_code == 422
    head = await client.head("/api/v1/recipes/1")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == response.headers["etag"]


async def test_search_answers_304_and_follows_every_write(
    client: httpx.AsyncClient, seeded: Account
) -> None:
    first = await client.get(SEARCH)
    assert [r["label"] for r in first.json()["results"]] == ["Chicken Vesuvio"]
    etag = first.headers["etag"]
    assert (await client.get(SEARCH, headers={"If-None-Match": etag})).status_code == 304

    created = await client.post(
        "/api/v1/recipes/",
        json={"label": "Vesuvio potatoes", "source": "", "url": "https://example.com/p"},
        headers=seeded.headers,
    )
    assert created.status_code == 201
    added = await client.get(SEARCH, headers={"If-None-Match": etag})
    assert added.status_code == 200
    assert [r["label"] for r in added.json()["results"]] == ["Vesuvio potatoes", "Chicken Vesuvio"]

    new_id = created.json()["id"]
    await client.patch(
        f"/api/v1/recipes/{new_id}", json={"label": "Roast potatoes"}, headers=seeded.headers
    )
    renamed = await client.get(SEARCH)
    assert [r["label"] for r in renamed.json()["results"]] == ["Chicken Vesuvio"]

    assert (await client.delete("/api/v1/recipes/1", headers=seeded.headers)).status_code == 204
    assert (await client.get(SEARCH)).json()["results"] == []
    assert (await client.get("/api/v1/recipes/search/?keyword=vesuvio&max_results=1")).json()[
        "results"
    ] == []


async def test_search_cache_follows_writes_of_another_worker_and_of_sql(
    client: httpx.AsyncClient, settings: Settings, db: Database, seeded: Account
) -> None:
    async with another_worker(settings) as other:
        assert len((await other.get(SEARCH)).json()["results"]) == 1
        assert len((await client.get(SEARCH)).json()["results"]) == 1
        created = await client.post(
            "/api/v1/recipes/",
            json={"label": "Vesuvio beans", "source": "", "url": "https://example.com/b"},
            headers=seeded.headers,
        )
        assert created.status_code == 201
        assert len((await other.get(SEARCH)).json()["results"]) == 2

        # A write by neither app (a command, an operator's SQL) counts too.
        def rename(connection: object) -> None:
            connection.execute(  # type: ignore[attr-defined]
                text("UPDATE recipe SET label = 'Plain beans' WHERE id = :id"),
                {"id": created.json()["id"]},
            )

        db.run_sync(rename)
        for http in (client, other):
            assert [r["label"] for r in (await http.get(SEARCH)).json()["results"]] == [
                "Chicken Vesuvio"
            ]


async def test_search_validation_is_unchanged(client: httpx.AsyncClient) -> None:
    for bad in ("keyword=ab", "max_results=0", "max_results=101", "max_total_minutes=-1"):
        response = await client.get(f"/api/v1/recipes/search/?{bad}")
        assert response.status_code == 422, bad
        assert response.json()["detail"]


async def test_with_the_cache_off_answers_are_built_each_time_and_still_tagged(
    settings: Settings, seeded: Account
) -> None:
    app = create_app(settings.model_copy(update={"answer_cache_mb": 0}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            first = await http.get(SEARCH)
            again = await http.get(SEARCH, headers={"If-None-Match": first.headers["etag"]})
            assert first.status_code == 200 and first.json()["results"]
            assert again.status_code == 304
            home = await http.get("/")
            assert home.status_code == 200 and "etag" in home.headers
        assert len(app.state.recipe_answers) == 0
