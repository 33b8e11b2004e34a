"""Reading pages, error pages, headers and page weight, over ASGI on every backend."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, update

from recipe_api.db.engine import Database
from recipe_api.ideas.client import Post
from recipe_api.ideas.service import SourceResult
from recipe_api.main import create_app
from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.repository import add_recipe
from recipe_api.settings import Settings
from recipe_api.users.repository import add_user
from tests.web.forms import HTML, browser_for

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _add_recipes(db: Database, labels: Sequence[str]) -> list[int]:
    """Recipes a minute apart, the first the oldest."""
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def add(connection: Connection) -> list[int]:
        user = add_user(connection, email="seed@example.com", first_name="Ada", surname="L")
        ids = []
        for n, label in enumerate(labels):
            row = add_recipe(
                connection,
                label=label,
                source="Tests",
                url=f"https://example.com/{n}",
                submitter_id=user["id"],
            )
            when = start + timedelta(minutes=n)
            connection.execute(
                update(recipe_table)
                .where(recipe_table.c.id == row["id"])
                .values(created_at=when, updated_at=when)
            )
            ids.append(row["id"])
        return ids

    return db.run_sync(add)


def _labels(page: httpx.Response) -> list[str]:
    return re.findall(r'<h3 class="recipe-label"><a href="/recipes/\d+">([^<]+)</a>', page.text)


async def test_home_pages_older_and_newer(client: httpx.AsyncClient, db: Database) -> None:
    _add_recipes(db, [f"Recipe {n:02d}" for n in range(30)])
    first = await client.get("/", headers=HTML)
    assert _labels(first) == [f"Recipe {n:02d}" for n in range(29, 5, -1)]
    assert "Newer" not in first.text
    older_link = re.search(r'href="(/\?older=\d+)"', first.text)
    assert older_link
    second = await client.get(older_link.group(1))
    assert _labels(second) == [f"Recipe {n:02d}" for n in range(5, -1, -1)]
    assert "?older=" not in second.text
    newer_link = re.search(r'href="(/\?newer=\d+)"', second.text)
    assert newer_link
    back = await client.get(newer_link.group(1))
    assert _labels(back) == _labels(first)
    assert (await client.get("/?older=0", headers=HTML)).status_code == 422


async def test_search_ranks_counts_and_suggests(client: httpx.AsyncClient, db: Database) -> None:
    _add_recipes(db, ["Pan-fried chicken", "Chicken", "Chicken soup", "Lemon tart"])
    page = await client.get("/search", params={"q": "chicken"})
    assert page.status_code == 200
    assert "3 recipes for “chicken”" in page.text
    # The exact name, then names starting with the word, then the rest (decision 0012).
    assert _labels(page) == ["Chicken", "Chicken soup", "Pan-fried chicken"]
    assert 'value="chicken"' in page.text

    nothing = await client.get("/search", params={"q": "zzzzz"})
    assert "No recipes match “zzzzz”" in nothing.text
    assert "Check the spelling" in nothing.text
    short = await client.get("/search", params={"q": "ch"})
    assert "Type at least 3 characters" in short.text
    assert (await client.get("/search")).status_code == 200


async def test_ready_within_is_checked_by_the_searchs_own_rule(
    client: httpx.AsyncClient, db: Database
) -> None:
    _add_recipes(db, ["Chicken soup"])
    # "²" is a digit to str.isdigit and not a number to int(): a clear refusal, not a 500.
    for minutes in ("²", "abc", "-5", "100001"):
        page = await client.get("/search", params={"q": "chicken", "minutes": minutes})
        assert page.status_code == 200, minutes
        assert "Ready within: a number of minutes, 0 to 100,000." in page.text, minutes
        assert _labels(page) == [], minutes
    page = await client.get("/search", params={"q": "chicken", "minutes": " 100000 "})
    assert "Ready within" not in page.text


async def test_recipe_page_shows_everything_we_know(
    client: httpx.AsyncClient, db: Database
) -> None:
    [recipe_id] = _add_recipes(db, ["Lemon <b>tart</b>"])
    page = await client.get(f"/recipes/{recipe_id}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Lemon &lt;b&gt;tart&lt;/b&gt;</h1>" in text
    assert 'href="https://example.com/0"' in text
    assert "Tests" in text  # the source
    assert "Ada L" in text  # the submitter
    assert "1 Jan 2026</time>" in text and "UTC" not in text  # the reader's date, no zone
    assert "/edit" not in text  # nobody is logged in
    # Developer links live in the footer; fields the recipe lacks are not shown at all.
    assert "Not given" not in text and "Cuisine" not in text
    assert text.index('href="/api/v1/recipes/') > text.index("<footer")
    assert 'href="/docs"' not in text[: text.index("<footer")]


async def test_browsers_get_html_error_pages_and_api_clients_json(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/no/such/page", "/recipes/999", "/api/v1/recipes/999"):
        page = await client.get(path, headers=HTML)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "Page not found" in page.text and 'href="/"' in page.text
        answer = await client.get(path)
        assert answer.status_code == 404
        assert "detail" in answer.json()
    invalid = await client.get("/recipes/abc", headers=HTML)
    assert invalid.status_code == 422 and "That address is not valid" in invalid.text
    assert isinstance((await client.get("/recipes/abc")).json()["detail"], list)


async def test_a_crash_is_an_html_page_for_browsers(settings: Settings) -> None:
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            page = await client.get("/boom", headers=HTML)
            assert page.status_code == 500
            assert "Something went wrong on our side" in page.text
            assert "boom" not in page.text
            # The 500 passes out through the time and the security headers alike.
            assert "x-process-time" in page.headers
            assert "script-src 'self'" in page.headers["content-security-policy"]
            # ...and through the request id and the metrics, outermost.
            assert page.headers["x-request-id"]
            answer = await client.get("/boom")
            assert answer.status_code == 500
            assert answer.json() == {"detail": "Internal Server Error"}
            assert answer.headers["x-request-id"] != page.headers["x-request-id"]


async def test_a_lost_database_is_a_busy_page_for_browsers(app: FastAPI) -> None:
    working = app.state.db
    app.state.db = Database.from_url("postgresql://nobody@127.0.0.1:1/none")
    try:
        async with browser_for(app) as browser:
            page = await browser.get("/recipes/1")
            home = await browser.get("/")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.get("/api/v1/recipes/1")
    finally:
        await app.state.db.aclose()
        app.state.db = working
    for busy in (page, home):
        assert busy.status_code == 503
        assert busy.headers["content-type"].startswith("text/html")
        assert busy.headers["retry-after"] == "5"
        assert "The service is busy" in busy.text
        assert "nobody" not in busy.text
        assert "script-src 'self'" in busy.headers["content-security-policy"]
    assert answer.status_code == 503
    assert answer.json() == {"detail": "The database is unavailable; try again shortly"}
    assert answer.headers["retry-after"] == "5"


async def test_security_headers_and_no_inline_scripts(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        for path in ("/", "/search?q=soup", "/login", "/signup", "/ideas", "/docs", "/redoc"):
            page = await browser.get(path)
            assert page.status_code == 200, path
            policy = page.headers["content-security-policy"]
            assert "script-src 'self';" in policy
            assert "default-src 'self'" in policy
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
            assert _INLINE_SCRIPT.search(page.text) is None, path
            assert "https://cdn" not in page.text, path
            assert page.headers["x-content-type-options"] == "nosniff"
        assert "style-src 'self';" in (await browser.get("/")).headers["content-security-policy"]


async def test_cors_is_off_by_default_and_follows_the_setting(settings: Settings) -> None:
    preflight = {
        "origin": "http://localhost:3000",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
    }
    for origins, allowed in (([], False), (["http://localhost:3000"], True)):
        app = create_app(settings.model_copy(update={"cors_origins": origins}))
        async with app.router.lifespan_context(app), browser_for(app) as client:
            answer = await client.options("/api/v1/recipes/my-recipes/", headers=preflight)
            got = answer.headers.get("access-control-allow-origin")
            assert (got == "http://localhost:3000") is allowed
            read = await client.get("/api/v1/recipes/", headers={"origin": preflight["origin"]})
            assert ("access-control-allow-origin" in read.headers) is allowed


def test_cors_origins_setting_reads_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:3000, https://app.example.com")
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["http://localhost:3000", "https://app.example.com"]
    monkeypatch.delenv("CORS_ORIGINS")
    assert Settings(_env_file=None).cors_origins == []


async def test_home_page_with_its_css_stays_under_50_kb(
    client: httpx.AsyncClient, db: Database
) -> None:
    # A full first page of long labels: the heaviest the home page gets.
    _add_recipes(db, ["A very long recipe label " * 10 for _ in range(30)])
    home = await client.get("/")
    css = await client.get("/static/style.css")
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    total = len(home.content) + len(css.content) + len(icon.content)
    assert total < 50_000, total


class _StubIdeas:
    """The ideas service's answer, every state at once: fresh, cached, stale, failed."""

    subreddits = ("recipes", "easyrecipes", "cooking", "baking")

    async def top_posts(self, *_args: object) -> list[SourceResult]:
        now = time.time()
        post = Post(
            title="Crispy <gnocchi>",
            score=1234,
            url="https://i.example.com/gnocchi.jpg",
            permalink="https://www.reddit.com/r/recipes/comments/1/",
            author="chef",
            num_comments=56,
            created_utc=now - 3600,
            thumbnail=None,
        )
        return [
            SourceResult("recipes", "ok", (post,), None, now - 1, False),
            SourceResult("easyrecipes", "ok", (post,), None, now - 125, True),
            SourceResult("cooking", "stale", (post,), "r/cooking timed out", now - 4000, True),
            SourceResult("baking", "error", (), "r/baking is private", None, False),
        ]


async def test_ideas_page_shows_each_sources_state(app: FastAPI) -> None:
    app.state.ideas = _StubIdeas()
    async with browser_for(app) as browser:
        page = await browser.get("/ideas")
    assert page.status_code == 200
    text = page.text
    assert re.search(r"r/recipes\s*<span class=\"state fresh\">fresh</span>", text)
    assert '<span class="state cached">cached, 2 min old</span>' in text
    assert '<span class="state stale">older copy, 1 h 6 min old</span>' in text
    assert '<span class="state failed">failed</span>' in text
    assert "r/cooking timed out" in text and "r/baking is private" in text
    assert "Crispy &lt;gnocchi&gt;" in text and "▲ 1234" in text
    assert re.search(r"fetched from every source at once in \d+ ms", text)
    assert "No ideas could be fetched" not in text


async def test_ideas_page_when_every_source_fails(app: FastAPI) -> None:
    # The test settings point reddit at a closed port: every source fails.
    async with browser_for(app) as browser:
        page = await browser.get("/ideas")
        assert page.status_code == 200
        assert "No ideas could be fetched right now." in page.text
        assert page.text.count('<span class="state failed">failed</span>') == 3
        assert "Traceback" not in page.text and "Errno" not in page.text
        assert (await browser.get("/")).status_code == 200


async def test_recipe_page_shows_the_details(client: httpx.AsyncClient, db: Database) -> None:
    def add(connection: Connection) -> int:
        user = add_user(connection, email="cook@example.com")
        row = add_recipe(
            connection,
            label="Toast",
            submitter_id=user["id"],
            description="Crisp <and> buttered.",
            ingredients=["2 slices bread", "butter <salted>"],
            instructions=["Toast the bread.", "Butter it."],
            tags=["breakfast", "quick"],
            servings="1",
            prep_minutes=1,
            cook_minutes=3,
            total_minutes=4,
            cuisine="British",
            image_url="https://example.com/toast.jpg",
        )
        return int(row["id"])

    recipe_id = await db.run(add)
    text = (await client.get(f"/recipes/{recipe_id}")).text
    assert "Crisp &lt;and&gt; buttered." in text
    lines = re.findall(r'<li><label><input type="checkbox"> <span>(.*?)</span>', text)
    assert lines == ["2 slices bread", "butter &lt;salted&gt;", "Toast the bread.", "Butter it."]
    assert "Ready in 4 min · Serves 1" in text and ">British</a></span>" in text
    assert '<a class="tag" href="/search?tag=breakfast">breakfast</a>' in text
    assert 'href="https://example.com/toast.jpg"' in text and "<img" not in text
    # Typed in at home: no link to a source page.
    assert "Open the original" not in text
