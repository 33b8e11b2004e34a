from __future__ import annotations

import httpx

from recipe_api.db.engine import Database
from recipe_api.seed import seed
from tests.conftest import Account


async def test_home_lists_recipes(client: httpx.AsyncClient, db: Database) -> None:
    await db.run(seed, superuser_email="admin@recipeapi.com", hashed_password=None)
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for label in ("Chicken Vesuvio", "Chicken Paprikash", "Cauliflower and Tofu Curry Recipe"):
        assert label in response.text
    assert 'href="/recipes/1"' in response.text
    assert 'href="/docs"' in response.text
    assert 'action="/search"' in response.text
    assert "/static/style.css" in response.text
    assert "x-process-time" in response.headers


async def test_home_empty_state(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "No recipes yet" in response.text


async def test_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".recipe-card" in response.text


async def test_html_in_labels_is_escaped(client: httpx.AsyncClient, superuser: Account) -> None:
    evil = '<script>alert("x")</script><b>Bold</b> & co'
    response = await client.post(
        "/api/v1/recipes/",
        json={"label": evil, "source": "<i>src</i>", "url": 'https://e.com/?a=1&b="2"'},
        headers=superuser.headers,
    )
    assert response.status_code == 201
    assert response.json()["label"] == evil
    page = (await client.get("/")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page
    assert "&lt;i&gt;src&lt;/i&gt;" in page
    assert "<i>src</i>" not in page
