"""The search's count of filters alone, on both databases: exact, or "more than N" past the bound.

On PostgreSQL it counts the newest recipes first (``COUNT_WINDOW``) and reads
the index only when those hold too few matches; both ways must give the count
the pages reach.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.recipes.schemas import RecipeSearchResults
from recipe_api.recipes.search import postgresql, service
from recipe_api.recipes.search.query import SearchCursor, SearchQuery
from tests.recipes.test_word_search import corpus  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("corpus")


async def _search(db: Database, query: SearchQuery) -> RecipeSearchResults:
    def work(connection: Connection) -> RecipeSearchResults:
        return service._search(connection, query, 100, None)

    return await db.run(work)


@pytest.mark.parametrize("window", [1, 2, 10_000])
@pytest.mark.parametrize(
    "query",
    [SearchQuery(tag="easy"), SearchQuery(max_total_minutes=30), SearchQuery(tag="zzqxv")],
)
async def test_a_browse_counts_every_match(
    db: Database, monkeypatch: pytest.MonkeyPatch, window: int, query: SearchQuery
) -> None:
    monkeypatch.setattr(postgresql, "COUNT_WINDOW", window)
    found = await _search(db, query)
    assert found.total_is_exact
    assert found.total == len(found.results)
    if query.tag == "easy":
        assert found.total >= 2
        assert all("easy" in recipe.tags for recipe in found.results)


@pytest.mark.parametrize("window", [2, 10_000])
async def test_a_browse_past_the_bound_says_more_than(
    db: Database, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(postgresql, "COUNT_WINDOW", window)
    monkeypatch.setattr(service, "COUNT_LIMIT", 1)
    found = await _search(db, SearchQuery(tag="easy"))
    assert found.total == 1 and not found.total_is_exact
    assert len(found.results) >= 2  # every match still on the page


async def _ids(db: Database, query: SearchQuery, limit: int) -> list[int]:
    """Every match's id, page after page of ``limit``."""
    ids: list[int] = []
    cursor = None
    while True:

        def work(
            connection: Connection, after: SearchCursor | None = cursor
        ) -> RecipeSearchResults:
            return service._search(connection, query, limit, after)

        found = await db.run(work)
        ids += [recipe.id for recipe in found.results]
        if found.next_cursor is None:
            return ids
        cursor = SearchCursor.decode(found.next_cursor)


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(keyword="easy"),
        SearchQuery(keyword="garlic", max_total_minutes=60),
        SearchQuery(keyword="garlic onion"),
        SearchQuery(tag="easy"),
    ],
)
async def test_windows_of_every_size_give_the_same_pages(
    db: Database, monkeypatch: pytest.MonkeyPatch, query: SearchQuery
) -> None:
    """A tier read in three parts (the newest, the next, the rest) loses and repeats nothing."""
    whole = await _ids(db, query, 100)
    assert len(whole) >= 2
    # Tiny windows, and a bound that sends every search through the tiers' parts.
    monkeypatch.setattr(postgresql, "WINDOW", 2)
    monkeypatch.setattr(postgresql, "WIDER_WINDOW", 3)
    monkeypatch.setattr(service, "COUNT_LIMIT", 1)
    assert await _ids(db, query, 2) == whole
    assert await _ids(db, query, 100) == whole
