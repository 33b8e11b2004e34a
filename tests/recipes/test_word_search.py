"""Search by words on real recipes, on both backends: order, forms, typos, ranking, paging.

The corpus (``corpus/recipes.json``) is fourteen recipes from recipe-scrapers'
test data, published by the sites each entry names, added after the three
recipes every test database is seeded with (the tutorial's Chicken Vesuvio,
Chicken Paprikash, Cauliflower and Tofu Curry); the expected top results
below were read off those seventeen recipes by hand.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.recipes.repository import add_recipe
from recipe_api.users.repository import get_user_by_email

pytestmark = pytest.mark.usefixtures("corpus")
SEARCH = "/api/v1/recipes/search/"
# The name as published, with its typographic apostrophe.
ROAST_CHICKEN = "Alita Oliva\u2019s Roast Chicken"
CORPUS = json.loads((Path(__file__).parent / "corpus" / "recipes.json").read_text())["recipes"]


async def _add(db: Database, label: str, **details: Any) -> int:
    def work(connection: Connection) -> int:
        admin = get_user_by_email(connection, "admin@recipeapi.com")
        assert admin is not None
        return int(add_recipe(connection, label=label, submitter_id=admin["id"], **details)["id"])

    return await db.run(work)


@pytest.fixture
async def corpus(seeded: object, db: Database) -> dict[str, int]:
    ids = {}
    for recipe in CORPUS:
        ids[recipe["label"]] = await _add(db, **recipe)
    return ids


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def _labels(client: httpx.AsyncClient, keyword: str, **params: Any) -> list[str]:
    found = await _search(client, keyword=keyword, max_results=100, **params)
    return [r["label"] for r in found["results"]]


async def test_words_in_any_order_and_across_fields(client: httpx.AsyncClient) -> None:
    for keyword in ["broccoli soup", "soup broccoli", "coconut milk broccoli"]:
        assert (await _labels(client, keyword))[0] == "Broccoli Soup with Coconut Milk"
    # "paprika" is an ingredient, "roast" and "chicken" in the name: all found.
    assert await _labels(client, "paprika roast chicken") == [ROAST_CHICKEN]
    # Stop words are left out: "with" is in neither recipe's name.
    found = await _search(client, keyword="soup with coconut milk")
    assert found["words"] == ["soup", "coconut", "milk"]
    assert found["results"][0]["label"] == "Broccoli Soup with Coconut Milk"
    # Cuisine and category are searched too.
    assert await _labels(client, "cuban") == [ROAST_CHICKEN]
    assert await _labels(client, "drinks raspberry") == ["Raspberry Cocktails with Rosemary"]


async def test_plurals_and_forms(client: httpx.AsyncClient) -> None:
    with_tomatoes = {
        "Ghana Jollof Rice",
        "Four Cheese Margherita Pizza",
        "Rissoles with Curry Sauce",
        "Mantu (Beef Dumplings)",
        "Chicken Paprikash",
        "Cauliflower and Tofu Curry Recipe",
    }
    assert set(await _labels(client, "tomato")) == with_tomatoes
    assert set(await _labels(client, "tomatoes")) == with_tomatoes
    assert (await _labels(client, "cashews"))[0] == "Vegan Ranch Dressing (Cashew, No-Soak)"
    cakes = await _labels(client, "cakes")
    assert set(cakes[:2]) == {"The Best Chocolate Cake Recipe {Ever}", "A Far, Far Better Cake"}
    assert (await _labels(client, "pizzas"))[:2] == [
        "Four Cheese Margherita Pizza",
        "Roasted Peppers And Mushroom Tortilla Pizza Recipe",
    ]


async def test_a_typo_finds_what_the_word_finds_and_says_so(client: httpx.AsyncClient) -> None:
    found = await _search(client, keyword="chiken")
    assert found["did_you_mean"] == "chicken"
    labels = [r["label"] for r in found["results"]]
    # The names first (newest first), then the ingredients ("chicken stock").
    assert labels == [
        ROAST_CHICKEN,
        "Chicken Paprikash",
        "Chicken Vesuvio",
        "Rissoles with Curry Sauce",
    ]
    for typo, right in [
        ("shirmp butter", "shrimp butter"),  # two letters swapped
        ("lasagan", "lasagna"),
        ("raspbery", "raspberry"),  # one missing
        ("chocolatte cake", "chocolate cake"),  # one extra
        ("rosenary", "rosemary"),  # one wrong
    ]:
        typed = await _search(client, keyword=typo)
        assert typed["did_you_mean"] == right, typo
        assert [r["id"] for r in typed["results"]] == [
            r["id"] for r in (await _search(client, keyword=right))["results"]
        ], typo
    # Short words are not corrected, and a word we hold is not a typo.
    assert (await _search(client, keyword="rize"))["did_you_mean"] is None
    assert (await _search(client, keyword="rosemary"))["did_you_mean"] is None


async def test_exact_spelling_ranks_above_a_correction(
    client: httpx.AsyncClient, db: Database
) -> None:
    # "chiken" is now a word some recipe holds: no correction is offered for it...
    await _add(db, "Chiken wings, as the menu spells them")
    found = await _search(client, keyword="chiken")
    assert found["did_you_mean"] is None
    assert [r["label"] for r in found["results"]] == ["Chiken wings, as the menu spells them"]
    # ...but a word one edit from a real one and held by no recipe still is, below exact matches.
    found = await _search(client, keyword="roast chikken")
    assert found["did_you_mean"] == "roast chicken"
    # Both words in the name, then anywhere (the Vesuvio's description: "roast chicken").
    assert [r["label"] for r in found["results"]] == [
        ROAST_CHICKEN,
        "Chicken Vesuvio",
    ]


async def test_ranking_exact_name_then_starting_then_name_then_ingredients(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _add(db, "Lemon chicken", description="A weeknight dinner.")
    await _add(db, "Chicken")
    await _add(db, "Chicken tikka masala")
    labels = await _labels(client, "chicken")
    assert labels == [
        "Chicken",  # the exact name
        "Chicken tikka masala",  # starting with the word, newest first
        "Chicken Paprikash",
        "Chicken Vesuvio",
        "Lemon chicken",  # the word elsewhere in the name, newest first
        ROAST_CHICKEN,
        "Rissoles with Curry Sauce",  # in the ingredients ("chicken stock")
    ]
    # Name and ingredients before the rest: "cream" is also in the ranch
    # dressing's description, "sour" nowhere else.
    assert (await _labels(client, "paprika sour cream"))[0] == "Chicken Paprikash"
    assert (await _labels(client, "CHICKEN PAPRIKASH"))[0] == "Chicken Paprikash"
    assert await _labels(client, "paprikash chicken") == ["Chicken Paprikash"]


async def test_no_recipe_has_every_word(client: httpx.AsyncClient) -> None:
    found = await _search(client, keyword="shrimp chocolate zzqx")
    assert found["words"] == ["shrimp", "chocolate", "zzqx"]
    assert found["words_matched"] == 1
    labels = [r["label"] for r in found["results"]]
    assert set(labels[:2]) == {
        "Garlic Butter Shrimp (Fast & Easy Dinner!)",
        "The Best Chocolate Cake Recipe {Ever}",
    }
    found = await _search(client, keyword="garlic butter zzqx")
    assert found["words_matched"] == 2
    assert found["results"][0]["label"] == "Garlic Butter Shrimp (Fast & Easy Dinner!)"
    assert (await _search(client, keyword="zzqxv"))["results"] == []


async def test_every_match_is_reachable_by_cursor(client: httpx.AsyncClient) -> None:
    everything = await _search(client, keyword="salt", max_results=100)
    assert everything["total"] == len(everything["results"]) >= 10
    assert everything["total_is_exact"] is True and everything["next"] is None
    seen: list[int] = []
    page = await _search(client, keyword="salt", max_results=3)
    while True:
        assert page["total"] == everything["total"]
        seen += [r["id"] for r in page["results"]]
        if page["next"] is None:
            break
        response = await client.get(page["next"])
        assert response.status_code == 200, response.text
        page = response.json()
    assert seen == [r["id"] for r in everything["results"]]


async def test_filters_combine_with_words(client: httpx.AsyncClient) -> None:
    assert await _labels(client, "garlic", max_total_minutes=10) == [
        "Garlic Butter Shrimp (Fast & Easy Dinner!)"
    ]
    assert await _labels(client, "cake", tag="chocolate cake") == [
        "The Best Chocolate Cake Recipe {Ever}"
    ]
    assert await _labels(client, "pepper", ingredient="jalapeño") == ["Texas Hot Guts Recipe"]


@pytest.mark.parametrize(
    "content",
    [
        "not-a-cursor",
        [0, 3_000_000_000, "all"],  # past the id column (int32 on PostgreSQL)
        [0, -1, "all"],
        [0, 10**30, "all"],
        [99, 1, "all"],
        [0, 1, "some:0"],
    ],
)
async def test_a_bad_cursor_is_400(client: httpx.AsyncClient, content: object) -> None:
    raw = content.encode() if isinstance(content, str) else json.dumps(content).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = await client.get(SEARCH, params={"keyword": "salt", "cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


async def test_the_website_filters_pages_and_corrects(client: httpx.AsyncClient) -> None:
    response = await client.get("/search", params={"q": "chiken"})
    assert response.status_code == 200
    assert "Did you mean" in response.text and "q=chicken" in response.text, response.text[
        response.text.find("<main") :
    ][:3000]
    response = await client.get("/search", params={"cuisine": "american", "q": "cake"})
    assert "The Best Chocolate Cake Recipe {Ever}" in response.text
    assert "A Far, Far Better Cake" not in response.text
    response = await client.get("/search", params={"q": "salt", "without": "garlic"})
    assert "Garlic Butter Shrimp" not in response.text
    assert "A Far, Far Better Cake" in response.text
    response = await client.get("/search", params={"q": "garlic", "minutes": "soon"})
    assert "a number of minutes" in response.text


async def test_a_filtered_count_past_its_scan_is_a_floor(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recipe_api.recipes.search import sqlite

    monkeypatch.setattr(sqlite, "FILTERED_COUNT_SCAN", 3)
    everything = await _search(client, keyword="salt", max_total_minutes=1000, max_results=100)
    if db.backend == "sqlite":
        # The newest three recipes with "salt" were looked at: "3 or more", not a count.
        assert everything["total_is_exact"] is False
        assert everything["total"] <= 3
    else:
        assert everything["total_is_exact"] is True
    # Every match is still reachable, whatever the count says.
    assert len(everything["results"]) == (await _search(client, keyword="salt"))["total"]
