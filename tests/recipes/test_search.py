"""Search over labels, ingredients, tags and descriptions, with filters, on both backends.

The words semantics on real recipes are in ``test_word_search.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.recipes.repository import add_recipe
from recipe_api.users.repository import get_user_by_email

pytestmark = pytest.mark.usefixtures("seeded")
SEARCH = "/api/v1/recipes/search/"


async def _add(db: Database, label: str, **details: Any) -> int:
    def work(connection: Connection) -> int:
        admin = get_user_by_email(connection, "admin@recipeapi.com")
        assert admin is not None
        return int(add_recipe(connection, label=label, submitter_id=admin["id"], **details)["id"])

    return await db.run(work)


async def _labels(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    return [r["label"] for r in response.json()["results"]]


async def test_ranks_label_then_ingredient_then_the_rest(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _add(db, "Old lime pie")
    await _add(db, "Fish tacos", ingredients=["2 limes, juiced"])
    await _add(db, "Summer salad", tags=["lime"])
    await _add(db, "Soda bread", description="Serve with LIME butter.")
    await _add(db, "Key lime bars")
    await _add(db, "Mojito", ingredients=["1 lime"], tags=["lime"])
    labels = await _labels(client, keyword="lime")
    assert labels == [
        "Key lime bars",
        "Old lime pie",
        "Mojito",
        "Fish tacos",
        "Soda bread",
        "Summer salad",
    ]
    assert await _labels(client, keyword="lime", max_results=3) == labels[:3]
    assert await _labels(client, keyword="lime", max_results=4) == labels[:4]


async def test_rare_common_and_absent_words(client: httpx.AsyncClient, db: Database) -> None:
    for n in range(30):
        await _add(db, f"Chicken dish {n}", ingredients=["1 chicken", "salt"])
    await _add(db, "Quince paste")
    assert len(await _labels(client, keyword="chicken", max_results=25)) == 25
    assert await _labels(client, keyword="quince") == ["Quince paste"]
    assert await _labels(client, keyword="xylophone") == []
    # Newest first within the rank; the seeded chicken recipes are the oldest.
    labels = await _labels(client, keyword="chicken", max_results=100)
    assert labels[:2] == ["Chicken dish 29", "Chicken dish 28"]
    assert labels[-2:] == ["Chicken Paprikash", "Chicken Vesuvio"]


@pytest.mark.parametrize("keyword", ["CRÈME", "crème", "Crème Brûlée", "ÜBER", "über"])
async def test_any_case_and_non_ascii(
    client: httpx.AsyncClient, db: Database, keyword: str
) -> None:
    await _add(db, "Crème brûlée")
    await _add(db, "Über-Käsekuchen")
    labels = await _labels(client, keyword=keyword)
    assert len(labels) == 1
    assert keyword.casefold() in labels[0].casefold()


@pytest.mark.parametrize(
    "keyword",
    ['"quoted"', "chef's", "a AND b", "NOT x", "col:umn", "star*", "(paren)", "50%", "a_b"],
)
async def test_punctuation_and_query_syntax_are_literal(
    client: httpx.AsyncClient, db: Database, keyword: str
) -> None:
    assert await _labels(client, keyword=keyword) == []
    await _add(db, f"Soup {keyword} extra")
    await _add(db, "Decoy", ingredients=[f"1 {keyword.upper()} cup"])
    assert await _labels(client, keyword=keyword) == [f"Soup {keyword} extra", "Decoy"]


async def test_filters(client: httpx.AsyncClient, db: Database) -> None:
    await _add(db, "Quick vegan curry", tags=["vegan", "quick"], total_minutes=20,
               ingredients=["1 can chickpeas", "2 tbsp curry paste"])  # fmt: skip
    await _add(db, "Slow vegan stew", tags=["vegan"], total_minutes=180,
               ingredients=["1 cup lentils"])  # fmt: skip
    await _add(db, "Not vegan", tags=["non-vegan"], total_minutes=10,
               ingredients=["1 cup chickpeas"])  # fmt: skip
    assert await _labels(client, tag="VEGAN") == ["Slow vegan stew", "Quick vegan curry"]
    assert await _labels(client, tag="vegan", max_total_minutes=60) == ["Quick vegan curry"]
    assert await _labels(client, ingredient="CHICKPEA") == ["Not vegan", "Quick vegan curry"]
    assert await _labels(client, ingredient="chickpea", tag="vegan") == ["Quick vegan curry"]
    assert await _labels(client, keyword="vegan", tag="quick") == ["Quick vegan curry"]
    assert await _labels(client, keyword="curry", max_total_minutes=15) == []
    assert await _labels(client, max_total_minutes=15) == ["Not vegan"]
    # A short tag (below the index's three characters) still filters exactly.
    await _add(db, "Tagged short", tags=["5"])
    assert await _labels(client, tag="5") == ["Tagged short"]


async def test_the_index_follows_updates_and_deletes(
    client: httpx.AsyncClient, db: Database
) -> None:
    recipe_id = await _add(db, "Plain toast", ingredients=["bread"])

    def change(connection: Connection) -> None:
        from recipe_api.recipes.repository import update_recipe

        update_recipe(connection, recipe_id, {"label": "Fancy toast", "ingredients": ["brioche"]})

    await db.run(change)
    assert await _labels(client, keyword="plain") == []
    assert await _labels(client, keyword="brioche") == ["Fancy toast"]

    def remove(connection: Connection) -> None:
        from recipe_api.recipes.repository import delete_recipe

        delete_recipe(connection, recipe_id)

    await db.run(remove)
    assert await _labels(client, keyword="brioche") == []


@pytest.mark.parametrize(
    "params",
    [
        {"tag": ""},
        {"tag": "t" * 65},
        {"ingredient": "ab"},
        {"max_total_minutes": -1},
        {"max_total_minutes": "soon"},
        {"tag": "a\x00b"},
    ],
)
async def test_bad_filters_are_422(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get(SEARCH, params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_filters_fold_any_case_with_a_keyword(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _add(
        db, "Soupe à l'oignon", ingredients=["1,5 l de bouillon de bœuf"], tags=["française"]
    )
    await _add(db, "Soupe de légumes", ingredients=["2 poireaux"], tags=["végétarien"])
    assert await _labels(client, keyword="SOUPE", ingredient="BŒUF") == ["Soupe à l'oignon"]
    assert await _labels(client, keyword="soupe", tag="FRANÇAISE") == ["Soupe à l'oignon"]
    assert await _labels(client, ingredient="POIREAUX", tag="Végétarien") == ["Soupe de légumes"]


async def test_a_word_whose_trigrams_are_common_is_matched_exactly(
    client: httpx.AsyncClient, db: Database
) -> None:
    # "vegan": its trigrams are in vegetable, vinegar and oregano, the word in none.
    await _add(db, "Decoy", ingredients=["1 vegetable stock cube", "vinegar", "dried oregano"])
    await _add(db, "Inside a word", ingredients=["200 g NONVEGAN cheese"])
    await _add(db, "At the start", ingredients=["1 vegan sausage"])
    # Words, not substrings: the keyword is a whole word; the ingredient filter a substring.
    assert await _labels(client, keyword="vegan") == ["At the start"]
    assert await _labels(client, ingredient="Vegan") == ["At the start", "Inside a word"]
    assert await _labels(client, keyword="vegan", ingredient="sausage") == ["At the start"]
    # Digits are word characters too.
    await _add(db, "Flour", ingredients=["1500 g flour"])
    assert await _labels(client, keyword="1500") == ["Flour"]


async def test_words_longer_than_the_indexed_prefix(
    client: httpx.AsyncClient, db: Database
) -> None:
    await _add(db, "Sauce", ingredients=["1 tsp Worcestershire sauce"])
    await _add(db, "Near miss", ingredients=["1 tsp worcestershirx"])
    assert await _labels(client, keyword="worcestershire") == ["Sauce"]
    assert await _labels(client, keyword="cestershire") == []
    assert await _labels(client, keyword="worcestershire sauce") == ["Sauce"]


async def test_a_very_long_ingredient_list_is_still_found(
    client: httpx.AsyncClient, db: Database
) -> None:
    # Past 20,000 characters the words index holds a marker, not the words.
    lines = [f"{n} " + "finely chopped long ingredient " * 15 for n in range(60)]
    lines.append("1 pinch zanzibar spice")
    assert sum(len(line) for line in lines) > 20_000
    await _add(db, "Long list", ingredients=lines)
    assert await _labels(client, keyword="zanzibar") == ["Long list"]
    # One letter off: the correction finds it.
    assert await _labels(client, keyword="zanzibax") == ["Long list"]


async def test_a_common_word_with_a_time_limit(client: httpx.AsyncClient, db: Database) -> None:
    """A word in most recipes, but few of them quick enough: newest first, in rank order."""
    await _add(db, "Quick salad", ingredients=["minced shallot"], total_minutes=5)
    for n in range(3):
        await _add(db, f"Quick minced beef {n}", ingredients=["minced beef"], total_minutes=5)
    for n in range(6):
        await _add(db, f"Slow minced stew {n}", ingredients=["minced beef"], total_minutes=90)

    # "Quick minced beef" has the word in its name; the salad only in its ingredients.
    quick = ["Quick minced beef 2", "Quick minced beef 1", "Quick minced beef 0"]
    for limit in (1, 2, 3, 10):
        found = await _labels(client, keyword="minced", max_total_minutes=10, max_results=limit)
        assert found == [*quick, "Quick salad"][:limit]
    assert await _labels(client, keyword="stew", max_total_minutes=10, max_results=2) == []
    assert await _labels(client, keyword="stew", max_total_minutes=100, max_results=2) == [
        "Slow minced stew 5",
        "Slow minced stew 4",
    ]
