"""Facets of the website's search on both backends: counts per tag, cuisine, category, as links.

On the real corpus of ``test_word_search.py``; each facet's counts are checked
against the recipes the search itself returns, counted here by hand.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, event

from recipe_api.db.engine import Database
from recipe_api.recipes.search import service
from recipe_api.recipes.search.query import SearchQuery
from tests.recipes.test_word_search import corpus  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("corpus")


async def _page(db: Database, query: SearchQuery) -> service.SearchPage:
    def work(connection: Connection) -> service.SearchPage:
        return service._search_page(connection, query, 100, None)

    return await db.run(work)


def _expected(results: list[Any]) -> dict[str, Counter[str]]:
    return {
        "tags": Counter(tag for recipe in results for tag in recipe.tags),
        "cuisines": Counter(r.cuisine for r in results if r.cuisine),
        "categories": Counter(r.category for r in results if r.category),
    }


def _counted(values: list[service.FacetValue]) -> Counter[str]:
    return Counter({value.value: value.recipes for value in values})


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(keyword="easy"),
        SearchQuery(keyword="cake"),
        SearchQuery(keyword="garlic", max_total_minutes=60),
        SearchQuery(tag="easy"),
        SearchQuery(cuisine="american"),
        SearchQuery(keyword="chiken"),
        SearchQuery(keyword="shrimp chocolate zzqx"),
    ],
)
async def test_facets_count_every_match_when_they_are_few(db: Database, query: SearchQuery) -> None:
    page = await _page(db, query)
    assert page.found.total_is_exact and page.found.results
    expected = _expected(page.found.results)
    facets = page.facets
    assert facets.exact and facets.counted == page.found.total == len(page.found.results)
    assert _counted(facets.tags) == expected["tags"]
    assert _counted(facets.cuisines) == expected["cuisines"]
    assert _counted(facets.categories) == expected["categories"]
    for values in (facets.tags, facets.cuisines, facets.categories):
        # The commonest first.
        assert [v.recipes for v in values] == sorted((v.recipes for v in values), reverse=True)


async def test_facets_by_hand_for_cake(db: Database) -> None:
    facets = (await _page(db, SearchQuery(keyword="chocolate cake"))).facets
    assert _counted(facets.cuisines) == Counter({"American": 1})
    assert {"chocolate cake": 1, "best chocolate cake": 1}.items() <= _counted(facets.tags).items()
    assert {v.value for v in facets.categories} >= {"Dessert"}


async def test_facets_past_their_bound_say_so(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "FACET_SCAN", 2)
    page = await _page(db, SearchQuery(keyword="salt"))
    assert page.found.total > 2
    assert not page.facets.exact and page.facets.counted == 2
    # Each value's count is over the two matches read, never more.
    assert all(1 <= v.recipes <= 2 for v in page.facets.tags + page.facets.cuisines)


async def test_no_match_no_facets(db: Database) -> None:
    page = await _page(db, SearchQuery(keyword="zzqxv"))
    assert page.facets == service.Facets()


async def test_the_website_shows_facets_as_links(client: httpx.AsyncClient) -> None:
    response = await client.get("/search", params={"q": "easy"})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert 'aria-label="Narrow the results"' in page
    # A value adds its filter to the same search: a shareable link.
    assert '<a href="/search?q=easy&tag=easy">easy</a>' in page
    assert '<a href="/search?q=easy&cuisine=California">California</a>' in page
    response = await client.get("/search", params={"q": "easy", "tag": "vegan"})
    page = html.unescape(response.text)
    assert "Broccoli Soup with Coconut Milk" in page
    assert "Rissoles with Curry Sauce" not in page
    # The filter set, with a link that takes it off and keeps the words.
    assert '<strong>vegan</strong> <a href="/search?q=easy"' in page
    response = await client.get("/search", params={"q": "easy", "cuisine": "Australian"})
    assert "Rissoles with Curry Sauce" in response.text
    assert "Broccoli Soup with Coconut Milk" not in response.text


async def test_the_count_and_the_facets_read_the_matches_once_on_postgresql(db: Database) -> None:
    """The website's search counts with its facets: one statement fewer than the API's."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    query = SearchQuery(keyword="garlic onion")
    # PostgreSQL serves requests on the asyncpg engine.
    engine = db.engine if db.async_engine is None else db.async_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = await _page(db, query)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    api = await db.run(lambda connection: service._search(connection, query, 100, None))
    # The same answer as the API's, the facets over every match.
    assert page.found == api and page.found.total_is_exact and page.found.total >= 2
    assert page.facets.exact and page.facets.counted == page.found.total
    if db.engine.dialect.name == "postgresql":
        # (SQLite's search runs on sqlite3 itself, past SQLAlchemy's events, in two statements.)
        counts = [s for s in seen if s.lstrip().startswith("SELECT count(*)")]
        facets = [s for s in seen if "jsonb_array_elements_text" in s]
        assert len(facets) == 1
        assert counts == []


async def test_more_than_the_bound_from_the_facets_statement(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the count's bound: "more than N", the facets over the first N, on both databases."""
    monkeypatch.setattr(service, "COUNT_LIMIT", 2)
    monkeypatch.setattr(service, "FACET_SCAN", 2)
    page = await _page(db, SearchQuery(keyword="salt"))
    assert page.found.total == 2 and not page.found.total_is_exact
    assert len(page.found.results) > 2  # the page is not cut at the bound
    assert not page.facets.exact and page.facets.counted == 2
    assert all(1 <= v.recipes <= 2 for v in page.facets.tags)
