"""The shortcuts PostgreSQL's search takes at a million recipes give what the plain reads give.

Decision 0025 (the section of 2026-12-07 on every shape under 25 ms): a tag
within N minutes read from one GIN key (migration 0026); a typo's tiers of
the exact spelling left unread when no recipe holds it; the website's facets
of several common words walked newest first to the bound; the window floors
computed once per page; the name's words one test. Each test checks the
answer against one worked out here, on both databases where the behaviour is
shared, and that PostgreSQL took the shortcut.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, event, text

from recipe_api.db.engine import Database
from recipe_api.recipes.repository import update_recipe
from recipe_api.recipes.schemas import RecipeSearchResults
from recipe_api.recipes.search import postgresql, service
from recipe_api.recipes.search.query import SearchQuery, plan_all_words
from tests.conftest import Account, MakeAccount
from tests.recipes.test_word_search import _add, corpus  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("corpus")


async def _search(db: Database, query: SearchQuery, limit: int = 100) -> RecipeSearchResults:
    def work(connection: Connection) -> RecipeSearchResults:
        return service._search(connection, query, limit, None)

    return await db.run(work)


async def _page(db: Database, query: SearchQuery) -> service.SearchPage:
    def work(connection: Connection) -> service.SearchPage:
        return service._search_page(connection, query, 100, None)

    return await db.run(work)


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """The SQL PostgreSQL is sent meanwhile (SQLite's search runs past SQLAlchemy's events)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = db.engine if db.async_engine is None else db.async_engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _postgresql(db: Database) -> bool:
    return db.engine.dialect.name == "postgresql"


# Minutes of the "weeknight" recipes, on both sides of every bucket's edge; None: unknown.
WEEKNIGHT_MINUTES = [5, 10, 11, 15, 16, 29, 30, 120, 121, None]


@pytest.fixture
async def weeknight(db: Database) -> dict[int, int | None]:
    ids = {}
    for minutes in WEEKNIGHT_MINUTES:
        recipe_id = await _add(
            db, f"Weeknight dish {minutes}", tags=["weeknight", "easy"], total_minutes=minutes
        )
        ids[recipe_id] = minutes
    # The other tag, quick: never a weeknight match.
    await _add(db, "Quick other dish", tags=["other"], total_minutes=5)
    return ids


@pytest.mark.parametrize("limit", [0, 5, 10, 11, 12, 15, 29, 30, 119, 120, 121, 500])
async def test_search_tag_within(
    db: Database, weeknight: dict[int, int | None], limit: int
) -> None:
    """A tag within N minutes: the recipes the plain filter gives, newest first, counted exactly."""
    with _statements(db) as seen:
        found = await _search(db, SearchQuery(tag="weeknight", max_total_minutes=limit))
    expected = sorted(
        (i for i, minutes in weeknight.items() if minutes is not None and minutes <= limit),
        reverse=True,
    )
    assert [recipe.id for recipe in found.results] == expected
    assert found.total == len(expected) and found.total_is_exact
    if _postgresql(db):
        # Through ix_recipe_tags_within up to the last bucket (120), not past it.
        uses_key = any("recipe_tags_within(tags, total_minutes)" in s for s in seen)
        assert uses_key == (limit <= 120)


async def test_search_tag_within_follows_edits(
    db: Database, weeknight: dict[int, int | None]
) -> None:
    """The index keys change with the tags and the minutes."""
    quick = next(i for i, minutes in weeknight.items() if minutes == 5)

    def edit(connection: Connection) -> None:
        update_recipe(connection, quick, {"total_minutes": 200})
        (other,) = connection.execute(
            text("SELECT id FROM recipe WHERE label = 'Quick other dish'")
        ).scalars()
        update_recipe(connection, other, {"tags": ["other", "weeknight"]})

    await db.run(edit)
    found = await _search(db, SearchQuery(tag="weeknight", max_total_minutes=10))
    labels = [recipe.label for recipe in found.results]
    assert labels == ["Quick other dish", "Weeknight dish 10"]


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each plan of all the words left out the exact spelling's tiers."""
    seen: list[bool] = []

    def spy(words: Any, corrections: Any, *, as_typed_absent: bool = False) -> Any:
        seen.append(as_typed_absent)
        return plan_all_words(words, corrections, as_typed_absent=as_typed_absent)

    monkeypatch.setattr(service, "plan_all_words", spy)
    return seen


async def test_a_typo_skips_the_tiers_of_a_spelling_no_recipe_holds(
    db: Database, monkeypatch: pytest.MonkeyPatch, plans: list[bool]
) -> None:
    skipped = await _search(db, SearchQuery(keyword="chiken"))
    assert skipped.did_you_mean == "chicken"
    assert plans == [_postgresql(db)]  # (SQLite reads its tiers as before)
    # The same answer as with every tier read, and as the right spelling's.
    monkeypatch.setattr(postgresql, "held_as_typed", lambda *_: True)
    every_tier = await _search(db, SearchQuery(keyword="chiken"))
    assert plans[-1] is False
    assert skipped == every_tier
    right = await _search(db, SearchQuery(keyword="chicken"))
    assert {r.id for r in skipped.results} == {r.id for r in right.results}
    assert skipped.total == right.total


async def test_a_typo_held_in_another_form_keeps_its_tiers(db: Database, plans: list[bool]) -> None:
    """ "tomatos" is no recipe's word, but stemmed it is "tomato": found as typed, in its tiers."""
    found = await _search(db, SearchQuery(keyword="tomatos"))
    assert plans == [False]
    assert found.did_you_mean is not None  # a word the vocabulary lacks is still corrected
    as_tomato = await _search(db, SearchQuery(keyword="tomato"))
    assert [r.id for r in found.results] == [r.id for r in as_tomato.results]


async def test_a_typo_in_the_cooks_own_private_recipe_keeps_its_tiers(
    client: httpx.AsyncClient, make_account: MakeAccount, db: Database, plans: list[bool]
) -> None:
    """The vocabulary holds public recipes' words only; the cook's own spelling ranks first."""
    ada: Account = await make_account("ada@example.com")
    answer = await client.post(
        "/api/v1/recipes/",
        json={"label": "Chiken soup", "ingredients": ["1 hen"], "private": True},
        headers=ada.headers,
    )
    assert answer.status_code == 201, answer.text
    mine = answer.json()["id"]
    # A newer public recipe with the right spelling, which the corrected tiers rank first.
    await _add(db, "Chicken stew")
    search = "/api/v1/recipes/search/"
    as_ada = (await client.get(search, params={"keyword": "chiken"}, headers=ada.headers)).json()
    assert as_ada["results"][0]["id"] == mine
    assert as_ada["did_you_mean"] == "chicken"
    as_visitor = (await client.get(search, params={"keyword": "chiken"})).json()
    assert mine not in [r["id"] for r in as_visitor["results"]]
    assert as_visitor["results"][0]["label"] == "Chicken stew"
    if _postgresql(db):
        assert plans == [False, True]


@pytest.mark.parametrize("window", [1, 10_000])
async def test_facets_of_several_common_words_walk_the_newest(
    db: Database, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """Past the bound: the newest matches' facets, labelled; below it, exact.

    ``window`` 1: the walk finds fewer than the bound and the index counts.
    """
    monkeypatch.setattr(postgresql, "COUNT_WINDOW", window)
    monkeypatch.setattr(postgresql, "_dense", lambda *_: True)
    query = SearchQuery(keyword="garlic onion")
    every = await _search(db, query)
    assert every.total_is_exact and every.total >= 3
    by_hand = Counter(tag for recipe in every.results for tag in recipe.tags)
    with _statements(db) as seen:
        page = await _page(db, query)
    assert page.found == every
    assert page.facets.exact and page.facets.counted == every.total
    assert {v.value: v.recipes for v in page.facets.tags} == {
        v.value: by_hand[v.value] for v in page.facets.tags
    }
    assert len(page.facets.tags) == min(service.FACET_VALUES, len(by_hand))
    if _postgresql(db):
        assert any("newest AS MATERIALIZED" in s for s in seen)
    # A bound of 2: "2 or more", and the facets of two matches, the newest two when walked.
    monkeypatch.setattr(service, "COUNT_LIMIT", 2)
    monkeypatch.setattr(service, "FACET_SCAN", 2)
    page = await _page(db, query)
    assert page.found.total == 2 and not page.found.total_is_exact
    assert not page.facets.exact and page.facets.counted == 2
    newest = sorted(every.results, key=lambda recipe: -recipe.id)[:2]
    if _postgresql(db) and window > 1:
        expected = Counter(tag for recipe in newest for tag in recipe.tags)
        assert {v.value: v.recipes for v in page.facets.tags} == dict(expected)


async def test_the_window_floors_are_read_once_per_page(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "COUNT_LIMIT", 1)  # the tiers' path, not the few matches'
    monkeypatch.setattr(postgresql, "WINDOW", 2)
    with _statements(db) as seen:
        found = await _search(db, SearchQuery(keyword="garlic"), limit=3)
    assert found.next_cursor is not None
    if _postgresql(db):
        (page,) = [s for s in seen if "tier_" in s]
        assert page.count(") AS newest_ids") == 1
        assert page.count(") AS wider_ids") == 1


async def test_several_name_words_are_one_test_of_the_name(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = await _add(db, "Garlic chicken traybake")
    within = await _add(db, "Roast chicken with garlic")
    monkeypatch.setattr(service, "COUNT_LIMIT", 1)  # the tiers' path, not the few matches'
    with _statements(db) as seen:
        found = await _search(db, SearchQuery(keyword="garlic chicken"))
    # Names starting with the words, then the words in the name, then elsewhere.
    assert [r.id for r in found.results[:2]] == [starts, within]
    assert all("garlic" not in r.label.lower() for r in found.results[2:])
    if _postgresql(db):
        (page,) = [s for s in seen if "tier_" in s]
        # The walked name tier: one tsquery of both words, no test per word on the name.
        walked = page.split("tier_2_newest AS MATERIALIZED", 1)[1].split("AS MATERIALIZED", 1)[0]
        assert "search_name @@ to_tsquery('english'" in walked
        assert walked.count("search_name @@") == 1
