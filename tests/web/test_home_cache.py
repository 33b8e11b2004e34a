"""The home page for visitors who are not logged in: rendered once per recipes version.

On SQLite and on PostgreSQL; "another worker" is a second app on the same
database, sharing nothing with the first but the database.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import Account
from tests.web.forms import HTML, browser_for, sign_up_and_log_in

NEW = {"label": "Smoky aubergine stew", "source": "Home", "url": "https://example.com/stew"}


async def test_home_carries_an_etag_and_answers_304(
    client: httpx.AsyncClient, superuser: Account
) -> None:
    first = await client.get("/", headers=HTML)
    etag = first.headers["etag"]
    assert first.status_code == 200 and "Chicken Vesuvio" in first.text

    again = await client.get("/", headers={**HTML, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert "content-security-policy" in again.headers
    # Another page of the list is another page.
    older = await client.get("/?older=2", headers={**HTML, "If-None-Match": etag})
    assert older.status_code == 200
    assert older.headers["etag"] != etag


async def test_home_follows_create_update_and_delete(
    client: httpx.AsyncClient, superuser: Account
) -> None:
    etag = (await client.get("/")).headers["etag"]

    created = await client.post("/api/v1/recipes/", json=NEW, headers=superuser.headers)
    assert created.status_code == 201
    page = await client.get("/", headers={"If-None-Match": etag})
    assert page.status_code == 200
    assert "Smoky aubergine stew" in page.text

    recipe = created.json()["id"]
    changed = await client.patch(
        f"/api/v1/recipes/{recipe}",
        json={"label": "Smoky aubergine bake"},
        headers=superuser.headers,
    )
    assert changed.status_code == 200
    page = await client.get("/")
    assert "Smoky aubergine bake" in page.text and "Smoky aubergine stew" not in page.text

    deleted = await client.delete(f"/api/v1/recipes/{recipe}", headers=superuser.headers)
    assert deleted.status_code == 204
    assert "Smoky aubergine" not in (await client.get("/")).text


async def test_home_follows_the_writes_of_another_worker(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, superuser: Account
) -> None:
    other_app = create_app(settings)
    async with other_app.router.lifespan_context(other_app):
        transport = httpx.ASGITransport(app=other_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            assert "Smoky" not in (await other.get("/")).text
            assert "Smoky" not in (await client.get("/")).text

            created = await client.post("/api/v1/recipes/", json=NEW, headers=superuser.headers)
            assert created.status_code == 201
            assert "Smoky aubergine stew" in (await other.get("/")).text

            path = f"/api/v1/recipes/{created.json()['id']}"
            assert (await other.delete(path, headers=superuser.headers)).status_code == 204
            assert "Smoky aubergine stew" not in (await client.get("/")).text


async def test_a_logged_in_page_is_never_the_anonymous_one(
    app: FastAPI, client: httpx.AsyncClient, superuser: Account
) -> None:
    anonymous = await client.get("/", headers=HTML)
    assert "Log out" not in anonymous.text
    etag = anonymous.headers["etag"]

    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        mine = await browser.get("/", headers={"If-None-Match": etag})
        assert mine.status_code == 200
        assert "Log out" in mine.text and "cook@example.com" in mine.text
        assert 'name="csrftoken"' in mine.text
        assert "etag" not in mine.headers

    # ...and the anonymous page did not take anything of theirs.
    again = await client.get("/", headers=HTML)
    assert again.text == anonymous.text
    assert "cook@example.com" not in again.text


async def test_the_search_page_is_shared_by_anonymous_visitors_and_follows_writes(
    client: httpx.AsyncClient, superuser: Account
) -> None:
    first = await client.get("/search?q=aubergine", headers=HTML)
    assert first.status_code == 200
    assert "No recipes match" in first.text
    etag = first.headers["etag"]
    again = await client.get("/search?q=aubergine", headers={**HTML, "If-None-Match": etag})
    assert again.status_code == 304
    # Another query is another page, and a short one still explains itself.
    other = await client.get("/search?q=chicken", headers={**HTML, "If-None-Match": etag})
    assert other.status_code == 200 and "Chicken Vesuvio" in other.text
    short = await client.get("/search?q=ab", headers=HTML)
    assert "Type at least 3 characters" in short.text

    created = await client.post("/api/v1/recipes/", json=NEW, headers=superuser.headers)
    assert created.status_code == 201
    after = await client.get("/search?q=aubergine", headers={**HTML, "If-None-Match": etag})
    assert after.status_code == 200
    assert "Smoky aubergine stew" in after.text


async def test_a_logged_in_search_page_is_never_the_anonymous_one(
    app: FastAPI, client: httpx.AsyncClient, superuser: Account
) -> None:
    anonymous = await client.get("/search?q=chicken", headers=HTML)
    assert "Log out" not in anonymous.text
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        mine = await browser.get(
            "/search?q=chicken", headers={"If-None-Match": anonymous.headers["etag"]}
        )
        assert mine.status_code == 200
        assert "Log out" in mine.text and "Chicken Vesuvio" in mine.text
        assert "etag" not in mine.headers
    again = await client.get("/search?q=chicken", headers=HTML)
    assert again.text == anonymous.text
