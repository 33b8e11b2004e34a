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
from recipe_api.recipes.search.query import SearchQuery
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
