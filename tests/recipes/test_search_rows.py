"""The search's answer written straight from its rows equals the model's, on both backends.

``service._search_json`` builds the API's answer from the rows as the
database returns them (SQLite: ``sqlite.recipes_by_id``, a tuple zipped with
the answer's fields and a few columns converted) and writes it with orjson.
The reference here is the way it was built before (decision 0032): the rows
read through SQLAlchemy's own types, validated into ``RecipeSearchResults``
and serialised by pydantic. The queries are real ones on the real corpus of
``test_word_search.py``, plus one recipe with the awkward values a cook may
type (quotes, control characters, emoji, a timestamp with microseconds).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, select, update

from recipe_api.db.engine import Database
from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.schemas import RecipeSearchResults
from recipe_api.recipes.search import postgresql, service, sqlite
from recipe_api.recipes.search.query import SearchCursor, SearchQuery
from recipe_api.recipes.visibility import EVERYTHING
from tests.recipes.test_word_search import CORPUS, _add

SEARCH = "/api/v1/recipes/search/"
AWKWARD = 'Chicken \u201cquoted\u201d \\ "dish" \U0001f414 \u2028 caf\u00e9'


@pytest.fixture
async def corpus(seeded: object, db: Database) -> dict[str, int]:
    ids = {}
    for recipe in CORPUS:
        ids[recipe["label"]] = await _add(db, **recipe)
    ids[AWKWARD] = await _add(
        db,
        AWKWARD,
        description="Line one\nline two\ttab \x01 control, </script>",
        ingredients=["1 chicken", "\u00bd cup cr\u00e8me fra\u00eeche"],
        instructions=["Roast.", "Rest \u2014 10 min."],
        tags=["dinner", "caf\u00e9"],
        prep_minutes=0,
        cook_minutes=None,
        total_minutes=0,
        image_url="https://example.com/a.jpg?x=1&y=\u00e9",
        cuisine="Fran\u00e7aise",
        category=None,
        private=False,
    )

    def edited(connection: Connection) -> None:
        # What an edit writes: a timestamp with microseconds.
        stamp = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
        connection.execute(
            update(recipe_table)
            .where(recipe_table.c.id == ids[AWKWARD])
            .values(updated_at=stamp, source="Kitchen \u00a7 7")
        )

    await db.run(edited)
    return ids


# Plural, typo, several words, one absent, tags, time, a word of the tags only,
# stop words, punctuation only, no words (the newest recipes), another viewer.
QUERIES = [
    SearchQuery(keyword="chicken"),
    SearchQuery(keyword="tomatoes"),
    SearchQuery(keyword="chiken"),
    SearchQuery(keyword="shirmp butter"),
    SearchQuery(keyword="chocolatte cake"),
    SearchQuery(keyword="paprika roast chicken"),
    SearchQuery(keyword="shrimp chocolate zzqx"),
    SearchQuery(keyword="soup with coconut milk"),
    SearchQuery(keyword="chicken", tag="dinner"),
    SearchQuery(tag="easy"),
    SearchQuery(keyword="cake", max_total_minutes=60),
    SearchQuery(keyword="rice", ingredient="tomato"),
    SearchQuery(keyword="%%%"),
    SearchQuery(),
    SearchQuery(keyword="dinner", viewer=EVERYTHING),
]


def _reference(
    connection: Connection, query: SearchQuery, limit: int, cursor: SearchCursor | None
) -> bytes:
    """The answer as it was built before: SQLAlchemy's typed rows, pydantic's validation."""
    fields, _ = service._search_fields(connection, query, limit, cursor)
    ids = [row["id"] for row in fields["results"]]
    typed = {
        row["id"]: dict(row)
        for row in connection.execute(
            select(recipe_table).where(recipe_table.c.id.in_(ids))
        ).mappings()
    }
    fields["results"] = [typed[row_id] for row_id in ids]
    found = RecipeSearchResults.model_validate(fields)
    return found.__pydantic_serializer__.to_json(found)


def _cursor(body: bytes) -> SearchCursor | None:
    token = RecipeSearchResults.model_validate_json(body).next_cursor
    return None if token is None else SearchCursor.decode(token)


async def test_answers_written_from_rows_equal_the_models(
    corpus: dict[str, int], db: Database
) -> None:
    compared = 0
    for query in QUERIES:
        cursor = None
        # Every page, two results a page: the cursors and the last page too.
        for _ in range(20):
            written = await db.read(service._search_json, query, 2, cursor)
            assert written == await db.read(_reference, query, 2, cursor), query
            compared += 1
            cursor = _cursor(written)
            if cursor is None:
                break
    assert compared > len(QUERIES) * 2
    chicken = await db.read(service._search_json, SearchQuery(keyword="chicken"), 20, None)
    # The awkward recipe was among the compared answers.
    assert "\U0001f414".encode() in chicken and b"2026-03-04T05:06:07.890123Z" in chicken


def _page_reference(
    connection: Connection, query: SearchQuery, limit: int, cursor: SearchCursor | None
) -> bytes:
    """The website's search page as it was built before: the models, serialised by pydantic."""
    page = service._search_page(connection, query, limit, cursor)
    return page.__pydantic_serializer__.to_json(page)


async def test_the_website_s_search_page_written_from_rows_equals_the_models(
    corpus: dict[str, int], db: Database
) -> None:
    compared = 0
    for query in [*QUERIES, SearchQuery(cuisine="Fran\u00e7aise"), SearchQuery(keyword="paprika")]:
        cursor = None
        for _ in range(20):
            written = await db.read(service._search_page_json, query, 2, cursor)
            assert written == await db.read(_page_reference, query, 2, cursor), query
            compared += 1
            page = service.SearchPage.model_validate_json(written)
            token = page.found.next_cursor
            cursor = None if token is None else SearchCursor.decode(token)
            if cursor is None:
                break
    assert compared > len(QUERIES) * 2
    chicken = service.SearchPage.model_validate_json(
        await db.read(service._search_page_json, SearchQuery(keyword="chicken"), 20, None)
    )
    # Facets were compared too, and the awkward recipe's values with them.
    assert chicken.facets.tags and chicken.facets.counted == chicken.found.total
    assert AWKWARD in [recipe.label for recipe in chicken.found.results]


async def test_the_api_answers_those_bytes(
    corpus: dict[str, int], db: Database, client: httpx.AsyncClient
) -> None:
    cases: list[tuple[dict[str, str | int], SearchQuery]] = [
        ({"keyword": "chicken"}, SearchQuery(keyword="chicken")),
        ({"keyword": "chiken", "max_results": 3}, SearchQuery(keyword="chiken")),
        (
            {"keyword": "cake", "max_total_minutes": 60},
            SearchQuery(keyword="cake", max_total_minutes=60),
        ),
        ({"tag": "Easy"}, SearchQuery(tag="easy")),
    ]
    for params, query in cases:
        response = await client.get(SEARCH, params=params)
        assert response.status_code == 200, response.text
        limit = int(params.get("max_results", 10))
        assert response.content == await db.read(_reference, query, limit, None), params


async def test_rows_by_id_are_the_columns_as_sqlalchemy_types_them(
    corpus: dict[str, int], db: Database
) -> None:
    if db.backend != "sqlite":
        pytest.skip("the SQLite statement")
    every = sorted(corpus.values())

    def both(connection: Connection, ids: list[int]) -> tuple[Any, Any]:
        typed = {
            row["id"]: {name: row[name] for name in sqlite.ROW_FIELDS}
            for row in connection.execute(
                select(recipe_table).where(recipe_table.c.id.in_(ids))
            ).mappings()
        }
        return sqlite.recipes_by_id(connection, ids), typed

    # One id, a power of two, one past it (padded), an id that is gone, none.
    for ids in [
        every[:1],
        every[:2],
        every[:3],
        every[:4],
        every[:5],
        every,
        [*every, 999_999],
        [],
    ]:
        found, typed = await db.read(both, ids)
        assert found == typed
        assert all(list(row) == list(sqlite.ROW_FIELDS) for row in found.values())
    awkward, _ = await db.read(both, [corpus[AWKWARD]])
    row = awkward[corpus[AWKWARD]]
    assert row["updated_at"] == datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    assert row["private"] is False and row["tags"] == ["dinner", "caf\u00e9"]


def test_padding_keeps_few_statement_texts() -> None:
    assert sqlite._padded([7]) == [7]
    assert sqlite._padded([1, 2, 3]) == [1, 2, 3, 3]
    assert len(sqlite._padded(list(range(11)))) == 16
    assert len({len(sqlite._padded(list(range(n)))) for n in range(1, 102)}) == 8


async def test_short_words_are_not_looked_up(
    corpus: dict[str, int], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[str]] = []
    backend = sqlite if db.backend == "sqlite" else postgresql
    real = backend.held_words

    def recorded(connection: Connection, words: Any) -> set[str]:
        asked.append(list(words))
        return set(real(connection, words))

    monkeypatch.setattr(backend, "held_words", recorded)
    # Four letters or fewer: never corrected, so never looked up.
    found = await db.read(service._search, SearchQuery(keyword="rice soup"), 10, None)
    assert found.results and asked == []
    found = await db.read(service._search, SearchQuery(keyword="beef"), 10, None)
    assert found.results and asked == []
    # Of several words, only the long ones; a typo's variants after.
    await db.read(service._search, SearchQuery(keyword="rice chicken"), 10, None)
    assert asked == [["chicken"]]
    asked.clear()
    found = await db.read(service._search, SearchQuery(keyword="rice chiken"), 10, None)
    assert asked[0] == ["chiken"] and len(asked) == 2
    asked.clear()
    found = await db.read(service._search, SearchQuery(keyword="chiken"), 10, None)
    assert asked[0] == ["chiken"] and found.did_you_mean == "chicken"


def test_is_empty_looks_at_every_filter() -> None:
    assert SearchQuery().is_empty
    assert SearchQuery(viewer=EVERYTHING).is_empty
    fields = [f for f in dataclasses.fields(SearchQuery) if f.name != "viewer"]
    assert len(fields) == 7
    for field in fields:
        value: dict[str, Any] = {field.name: 5 if field.name == "max_total_minutes" else "soup"}
        assert not SearchQuery(**value).is_empty, field.name
    assert not SearchQuery(max_total_minutes=0).is_empty
