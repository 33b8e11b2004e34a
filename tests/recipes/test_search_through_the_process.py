"""Every kind of search answers the same through the worker's search process as in the worker.

The queries and the corpus of ``test_search_rows.py`` (plurals, typos, absent
words, filters, the empty search, another viewer, awkward values), every page
of each, on both databases: what crosses the process boundary (the unit, its
query and cursor, the answer's bytes or the page's model) arrives whole.
"""

from __future__ import annotations

import pytest

from recipe_api.db.engine import Database
from recipe_api.recipes.schemas import RecipeSearchResults
from recipe_api.recipes.search import service
from recipe_api.recipes.search.query import SearchCursor
from recipe_api.settings import Settings
from tests.recipes.test_search_rows import QUERIES
from tests.recipes.test_search_rows import corpus as corpus  # the fixture


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"search_process": True})


async def test_every_kind_of_search_answers_the_same_through_it(
    corpus: dict[str, int], db: Database
) -> None:
    assert db.searches is not None
    pages = 0
    for query in QUERIES:
        cursor = None
        for _ in range(20):  # every page, two results a page
            here = await db.read(service._search_json, query, 2, cursor)
            there = await db.read_bounded(service._search_json, 5.0, query, 2, cursor)
            assert there == here, query
            page = await db.read_bounded(service._search_page, 5.0, query, 2, cursor)
            assert page == await db.read(service._search_page, query, 2, cursor), query
            pages += 1
            token = RecipeSearchResults.model_validate_json(here).next_cursor
            if token is None:
                break
            cursor = SearchCursor.decode(token)
    assert pages > len(QUERIES) * 2
