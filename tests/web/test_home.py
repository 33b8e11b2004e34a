from __future__ import annotations

import httpx

from recipe_api.db.engine import Database
from recipe_api.db.seed import seed


async def test_home_lists_recipes(client: httpx.AsyncClient, db: Database) -> None:
    await db.run(seed, superuser_email="admin@recipeapi.com", hashed_password=None)
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for label in ("Chicken Vesuvio", "Chicken Paprikash", "Cauliflower and Tofu Curry Recipe"):
        assert label in response.text
    assert 'href="http://norecipes.com/recipe/chicken-paprikash/"' in response.text
    assert 'href="/docs"' in response.text
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
