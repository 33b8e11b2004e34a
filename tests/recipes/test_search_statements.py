"""The SQLite search's statements: the same answers as the SQL they replaced, for less work.

Decision 0036. The names starting with the words are a range of the name
index compared without case (``_past``), not ``LIKE`` checked on each name;
that index holds what the visibility check reads (migration 0028), so the
name tiers never read the table.
"""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.recipes.search import service, sqlite
from recipe_api.recipes.search.query import SearchQuery, Tier, Words, plan_all_words
from recipe_api.recipes.visibility import EVERYTHING, Viewer
from tests.recipes.test_word_search import _add

# Names a cook may type: case, the characters around the ASCII letters ("@"
# before "A", "[" and "`" between the cases, "{" after "z"), LIKE's own
# characters, letters NOCASE does not fold, the edges of the code points.
NAMES = [
    "Chicken",
    "chicken",
    "CHICKEN soup",
    "chicken soup",
    "Chicken@home",
    "chicken[1]",
    "chicken`s",
    "chicken{x}",
    "chickenZ",
    "chickeo",
    "chickem",
    "chicke",
    "Chicken_wings",
    "chicken%",
    "chicken\\dish",
    "caf\u00e9",
    "CAF\u00c9",
    "caf\u00e9 au lait",
    "Caf\u00e9s",
    "stra\u00dfe",
    "\U0001f414 hen",
    "\U0001f414",
    "x\ud7ff",
    "x\ud7ffy",
    "x\ue000",
    "x\uffff",
    "x\U0010ffff",
    "x\U0010ffffz",
    "@",
    "@a",
    "[",
    "a@",
    "a@b",
    "a[",
    "aA",
    "",
]
PREFIXES = [
    "chicken",
    "Chicken",
    "CHICKEN",
    "chicken soup",
    "chicken@",
    "Chicken@",
    "chicken[",
    "chicken_",
    "chicken%",
    "chicken\\",
    "chicke",
    "caf\u00e9",
    "CAF\u00c9",
    "caf",
    "\U0001f414",
    "x\ud7ff",
    "x\U0010ffff",
    "x",
    "@",
    "a@",
    "a",
    "A",
    "z",
    "Z",
]


def test_the_name_range_is_like_without_the_words_alone() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE recipe (id INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    connection.executemany("INSERT INTO recipe (label) VALUES (?)", [(n,) for n in NAMES])
    like = (
        "SELECT label FROM recipe WHERE label LIKE :starts ESCAPE '\\'"
        " AND label <> :exact COLLATE NOCASE ORDER BY id"
    )
    ranged = (
        "SELECT label FROM recipe WHERE label > :exact COLLATE NOCASE"
        " AND label < :past COLLATE NOCASE ORDER BY id"
    )
    # The prefixes above, and every name's first characters.
    generated = {name[:n] for name, n in itertools.product(NAMES, range(1, 4)) if name[:n].strip()}
    for prefix in [*PREFIXES, *sorted(generated - set(PREFIXES))]:
        params = dict(sqlite._parameters(SearchQuery(keyword=prefix)))
        if params["past"] is None:
            # Nothing is above the last code point: LIKE it stays (see _tier_sql).
            assert prefix.strip().endswith("\U0010ffff"), prefix
            continue
        expected = connection.execute(like, params).fetchall()
        assert connection.execute(ranged, params).fetchall() == expected, prefix


def test_past_moves_the_folded_last_character_on() -> None:
    assert sqlite._past("Chicken") == "chickeo"
    assert sqlite._past("chicken@") == "chicken["
    assert sqlite._past("caf\u00c9") == "caf\u00ca"
    assert sqlite._past("x\ud7ff") == "x\ue000"
    assert sqlite._past("x\U0010ffff") is None
    assert sqlite._past("") is None


def _plan(connection: Connection, sql: str, params: dict[str, object]) -> str:
    raw = connection.connection.dbapi_connection
    assert raw is not None
    return " / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))


@pytest.mark.parametrize("viewer", [Viewer.of(None), Viewer(user_id=7), EVERYTHING])
async def test_the_name_tiers_read_the_name_index_alone(db: Database, viewer: Viewer) -> None:
    if db.backend != "sqlite":
        pytest.skip("the SQLite statements")
    query = SearchQuery(keyword="chicken", viewer=viewer)
    words = Words(fields="label", groups=(("chicken",),))
    params = {**sqlite._parameters(query), "after": None, "limit": 11}
    for name in ("exact", "starts"):
        sql, _ = sqlite._tier_sql(
            query, Tier(include=words, name=name), after=False, limit="LIMIT 11"
        )
        plan = await db.read(_plan, sql, params)
        assert "COVERING INDEX ix_recipe_label_nocase_visible" in plan, (name, plan)
    plan = await db.read(_plan, sqlite._names_sql(query), params)
    assert "COVERING INDEX ix_recipe_label_nocase_visible" in plan, plan


def test_stored_timestamps_read_as_the_column_type_reads_them() -> None:
    def reference(value: str) -> datetime:
        found = datetime.fromisoformat(value)
        return found if found.tzinfo is not None else found.replace(tzinfo=UTC)

    for value in [
        "2026-12-07 13:45:15",
        "2026-12-07 13:45:15.123456",
        "2026-12-07 13:45:15.123",
        "2026-12-07 13:45",
        "2026-12-07",
        "2026-12-07T13:45:15",
        "2026-12-07T13:45:15Z",
        "2026-12-07 13:45:15Z",
        "2026-12-07 13:45:15+01:00",
        "2026-12-07 13:45:15-00:00",
        "20261207T134515",
    ]:
        found = sqlite._utc(value)
        assert found == reference(value), value
        assert found.utcoffset() == reference(value).utcoffset(), value
        assert found.tzinfo == reference(value).tzinfo, value
    with pytest.raises(ValueError, match="hour"):
        sqlite._utc("2026-12-07 25:00:00")


async def test_a_word_is_four_statements_none_of_them_like(seeded: object, db: Database) -> None:
    if db.backend != "sqlite":
        pytest.skip("the SQLite statements")
    # More names starting with the word than a page holds, as at the bench's 1,000.
    for number in range(12):
        await _add(db, f"Chicken dish {number}", ingredients=["1 chicken"])
    query = SearchQuery(keyword="chicken")

    def traced(connection: Connection) -> tuple[bytes, list[str]]:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        seen: list[str] = []
        raw.set_trace_callback(seen.append)
        try:
            return service._search_json(connection, query, 10, None), seen
        finally:
            raw.set_trace_callback(None)

    body, seen = await db.read(traced)
    assert body.count(b'"label":"Chicken dish') == 10
    # FTS5's own statements (its index's pages) are traced as comments.
    ours = [statement for statement in seen if not statement.startswith("--")]
    # The held-word check, the count, the exact name and the names starting
    # with the word (one range of the name index, no LIKE), the page's rows.
    assert len(ours) == 4, ours
    names = ours[2]
    assert "recipe.label >=" in names and "LIKE" not in names, names
    # The next search of the same words builds no statement again.
    builders = (sqlite._tier_sql, sqlite._count_sql, sqlite._names_sql, sqlite._parameters)
    built = [builder.cache_info().misses for builder in builders]
    await db.read(traced)
    assert [builder.cache_info().misses for builder in builders] == built


def _merged_and_apart(
    connection: Connection, query: SearchQuery, limit: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The first page's (tier, id): as the search reads it, and tier by tier as before."""
    tiers = plan_all_words(query.words, {}).tiers
    merged = sqlite.page_ids(connection, query, tiers, start=0, after=None, limit=limit)
    apart: list[tuple[int, int]] = []
    params = dict(sqlite._parameters(query))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    for number, tier in enumerate(tiers):
        sql, match = sqlite._tier_sql(query, tier, after=False, limit="LIMIT :limit")
        values = {**params, "match": match, "after": None, "limit": limit - len(apart)}
        apart += [(number, row_id) for (row_id,) in raw.execute(sql, values)]
        if len(apart) >= limit:
            break
    return merged, apart


async def test_the_names_in_one_statement_are_the_two_tiers(seeded: object, db: Database) -> None:
    if db.backend != "sqlite":
        pytest.skip("the SQLite statements")
    for label in [
        "Chicken",
        "chicken soup",
        "CHICKEN",
        "Chicken@home",
        "chickens",
        "Roast chicken",
    ]:
        await _add(db, label, ingredients=["1 chicken"])
    await _add(db, "chicken", ingredients=["1 chicken"], private=True)
    for viewer in [Viewer.of(None), EVERYTHING]:
        for keyword in ["chicken", "CHICKEN", "chicken soup", "chicken@"]:
            query = SearchQuery(keyword=keyword, viewer=viewer)
            for limit in range(1, 9):
                merged, apart = await db.read(_merged_and_apart, query, limit)
                assert merged == apart, (keyword, viewer, limit)


async def test_a_word_in_no_name_or_ingredients_skips_that_tier(
    seeded: object, db: Database
) -> None:
    """Migration 0029: the ingredients' own index tells when that tier is empty, and stays true."""
    if db.backend != "sqlite":
        pytest.skip("the SQLite statements")
    tagged = [
        await _add(db, f"Lentil stew {n}", ingredients=["1 cup lentils"], tags=["plantbased"])
        for n in range(3)
    ]
    query = SearchQuery(keyword="plantbased")

    def traced(connection: Connection) -> tuple[list[int], list[str]]:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        seen: list[str] = []
        raw.set_trace_callback(seen.append)
        try:
            found = service._search(connection, query, 10, None)
            return [recipe.id for recipe in found.results], seen
        finally:
            raw.set_trace_callback(None)

    def tier_read(seen: list[str]) -> bool:
        return any("{label ingredients}" in s and "NOT ({label}" in s for s in seen)

    def held_in_ingredients(connection: Connection, word: str) -> int:
        return int(
            connection.exec_driver_sql(
                "SELECT count(*) FROM recipe_ingredient_words_fts"
                " WHERE recipe_ingredient_words_fts MATCH ?",
                (word,),
            ).scalar_one()
        )

    ids, seen = await db.read(traced)
    assert ids == tagged[::-1]
    assert not tier_read(seen), seen
    # An edit puts the word in one recipe's ingredients: the tier is read, and ranks it first.
    await db.run(
        lambda c: c.exec_driver_sql(
            "UPDATE recipe SET ingredients = ? WHERE id = ?",
            ('["1 cup plantbased milk"]', tagged[0]),
        )
    )
    ids, seen = await db.read(traced)
    assert ids == [tagged[0], tagged[2], tagged[1]]
    assert tier_read(seen)
    assert await db.read(held_in_ingredients, "plantbased") == 1
    # Its deletion takes the word out of the index.
    await db.run(lambda c: c.exec_driver_sql("DELETE FROM recipe WHERE id = ?", (tagged[0],)))
    assert await db.read(held_in_ingredients, "plantbased") == 0
    ids, seen = await db.read(traced)
    assert ids == [tagged[2], tagged[1]]
    assert not tier_read(seen)
