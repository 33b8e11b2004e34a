"""The search on SQLite: one FTS5 query per tier, read newest first, stopped at the page.

``recipe_search_fts`` (migration 0012) has three columns (``label``,
``ingredients``, ``other``) with the ``porter`` tokenizer. A tier is one
FTS5 expression (``{label} : ("chicken" AND "rice") NOT ...``); FTS5 walks
its index in rowid order, so ``ORDER BY rowid DESC LIMIT n`` stops after
``n`` matches, and the next page starts at ``rowid < after``. Filters are
checked on each match's row. Without words, the filter with an index
drives: the tag or ingredient trigram tables (migration 0005), the cuisine
or category index, else the newest rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Connection, Integer, String
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from recipe_api.db.base import UTCDateTime
from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.schemas import RecipeOut
from recipe_api.recipes.search.query import (
    AnyOf,
    Matches,
    SearchQuery,
    Tier,
    Words,
)
from recipe_api.recipes.visibility import visible_sql


def casefold_contains(haystack: str | None, needle: str | None) -> int | None:
    """SQL ``casefold_contains(haystack, needle)``: 1 if needle is in haystack, any case.

    SQLite's lower() and LIKE fold ASCII only; the ingredient filter folds any case.
    """
    if haystack is None or needle is None:
        return None
    return int(needle.casefold() in haystack.casefold())


def _with_functions(connection: Connection) -> None:
    """Adds this module's SQL functions to the connection's sqlite3 connection, once."""
    info = connection.connection.info
    if "casefold_contains" not in info:
        raw = connection.connection.dbapi_connection
        raw.create_function(  # type: ignore[union-attr]
            "casefold_contains", 2, casefold_contains, deterministic=True
        )
        info["casefold_contains"] = True


def _execute(connection: Connection, sql: str, params: Mapping[str, Any]) -> sqlite3.Cursor:
    """``sql`` straight to the connection's sqlite3 connection, in its transaction.

    sqlite3 binds the ``:name`` parameters itself and keeps the statement
    prepared (its own cache, by SQL text): no SQLAlchemy compile, execution
    context or result metadata per statement, which cost about as much as
    the statements themselves at a thousand recipes. Failures are
    SQLAlchemy's (an interrupted statement is its ``OperationalError``).
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    try:
        return raw.execute(sql, params)  # type: ignore[no-any-return]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


_DIALECT = sqlite_dialect()
_COLUMNS = {"label": "{label} : ", "label ingredients": "{label ingredients} : ", "all": ""}
# The trigram tokenizer needs three characters.
_TRIGRAM = 3


def _string(text_: str) -> str:
    """An FTS5 string: the characters as they are, no query syntax."""
    return '"' + text_.replace('"', '""') + '"'


def _group(alternatives: tuple[str, ...]) -> str:
    if len(alternatives) == 1:
        return _string(alternatives[0])
    return "(" + " OR ".join(_string(word) for word in alternatives) + ")"


def fts_expression(matches: Matches) -> str:
    if isinstance(matches, AnyOf):
        return " OR ".join(f"({fts_expression(option)})" for option in matches.options)
    words: Words = matches
    return _COLUMNS[words.fields] + "(" + " AND ".join(_group(g) for g in words.groups) + ")"


def _name_expression(matches: Matches) -> str | None:
    """``matches`` as an expression of ``recipe_name_fts`` (the names alone), if all in names."""
    if isinstance(matches, AnyOf):
        options = [_name_expression(option) for option in matches.options]
        if any(option is None for option in options):
            return None
        return " OR ".join(f"({option})" for option in options)
    if matches.fields != "label":
        return None
    return "(" + " AND ".join(_group(g) for g in matches.groups) + ")"


def _tier_expression(tier: Tier) -> str:
    assert tier.include is not None
    expression = f"({fts_expression(tier.include)})"
    for excluded in tier.exclude:
        expression += f" NOT ({fts_expression(excluded)})"
    return expression


def _filters(query: SearchQuery, *, skip: str | None = None) -> list[str]:
    """SQL conditions on ``recipe`` for the filters (``skip``: the one an index already checks).

    The first is always what the query's viewer may see.
    """
    conditions = [visible_sql(query.viewer, _DIALECT, table="recipe")]
    if query.tag is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM json_each(recipe.tags) WHERE json_each.value = :tag)"
        )
    if query.cuisine is not None and skip != "cuisine":
        conditions.append("recipe.cuisine = :cuisine COLLATE NOCASE")
    if query.category is not None and skip != "category":
        conditions.append("recipe.category = :category COLLATE NOCASE")
    # The ingredient lines' text is kept by their trigram table; checked by rowid
    # on each candidate (a MATCH per candidate would run the phrase query each time).
    lines = (
        "(SELECT casefold_contains(text, {}) FROM recipe_ingredients_fts WHERE rowid = recipe.id)"
    )
    if query.ingredient is not None and skip != "ingredient":
        conditions.append(lines.format(":ingredient") + " = 1")
    if query.without_ingredient is not None:
        conditions.append(lines.format(":without_ingredient") + " IS NOT 1")
    if query.max_total_minutes is not None:
        conditions.append("recipe.total_minutes <= :max_total")
    return conditions


def _where(conditions: list[str]) -> str:
    return (" WHERE " + " AND ".join(conditions)) if conditions else ""


def _index_walk(table: str, query: SearchQuery, tier: Tier, after: bool, limit: str) -> str:
    """A tier's ids from one FTS table (the names', or the whole recipe's), newest first."""
    conditions = [f"{table} MATCH :match", *_filters(query)]
    if tier.name == "not_starts":
        conditions.append("recipe.label NOT LIKE :starts ESCAPE '\\'")
    if after:
        conditions.append(f"{table}.rowid < :after")
    # CROSS JOIN: the FTS table drives (SQLite may otherwise walk
    # recipe and query the index once per row: 50 ms instead of 0.4).
    return (
        f"SELECT {table}.rowid AS id FROM {table} "
        f"CROSS JOIN recipe ON recipe.id = {table}.rowid"
        f"{_where(conditions)} ORDER BY {table}.rowid DESC {limit}"
    )


# The same search, the same statements: built once (3 µs a tier each time).
@lru_cache(maxsize=512)
def _tier_sql(query: SearchQuery, tier: Tier, *, after: bool, limit: str) -> tuple[str, str | None]:
    """The ids of a tier's matches, newest first; and the FTS5 expression it takes as ``:match``."""
    # The whole name through ix_recipe_label_nocase_visible (migration 0028),
    # which also holds what the visibility check reads: the index alone answers.
    # FTS5's "^" (first token) walks every match of the word to find the few
    # names starting with it: 15 ms for "chicken" at 100k.
    if tier.name in ("exact", "starts"):
        if tier.name == "exact":
            name = "recipe.label = :exact COLLATE NOCASE"
        elif _past(_exact(query)) is not None:
            # The names after the words and before :past, without case: those
            # starting with the words, but the words alone (see _past).
            name = "recipe.label > :exact COLLATE NOCASE AND recipe.label < :past COLLATE NOCASE"
        else:
            # LIKE is case-blind for ASCII here, so a prefix is a range of the
            # index too; but LIKE is then checked on every name of the range.
            name = "recipe.label LIKE :starts ESCAPE '\\' AND recipe.label <> :exact COLLATE NOCASE"
        conditions = [name, *_filters(query)]
        if after:
            conditions.append("recipe.id < :after")
        sql = f"SELECT recipe.id FROM recipe{_where(conditions)} ORDER BY recipe.id DESC {limit}"
        return sql, None
    names = None if tier.include is None or tier.exclude else _name_expression(tier.include)
    if names is not None:
        # Every word in the name: the names' own index (migration 0025), where a
        # word common elsewhere but rare in names is a short list.
        return _index_walk("recipe_name_fts", query, tier, after, limit), names
    if tier.include is not None:
        return _index_walk("recipe_search_fts", query, tier, after, limit), _tier_expression(tier)
    return _browse_sql(query, after=after, limit=limit)


def _browse_sql(query: SearchQuery, *, after: bool, limit: str) -> tuple[str, str | None]:
    """Filters alone: the one with an index drives, newest first."""
    bound = ["recipe.id < :after"] if after else []
    if (query.tag is not None and len(query.tag) >= _TRIGRAM) or query.ingredient is not None:
        table = "recipe_tags_fts" if query.ingredient is None else "recipe_ingredients_fts"
        skip = None if query.ingredient is None else "ingredient"
        phrase = query.tag if query.ingredient is None else query.ingredient
        assert phrase is not None
        conditions = [f"{table} MATCH :match", *_filters(query, skip=skip), *bound]
        sql = (
            f"SELECT {table}.rowid AS id FROM {table} "
            f"CROSS JOIN recipe ON recipe.id = {table}.rowid"
            f"{_where(conditions)} ORDER BY {table}.rowid DESC {limit}"
        )
        return sql, _string(phrase)
    # A cuisine or category is read through its index (ix_recipe_cuisine_nocase...).
    conditions = [*_filters(query), *bound]
    return f"SELECT recipe.id FROM recipe{_where(conditions)} ORDER BY recipe.id DESC {limit}", None


# NOCASE folds ASCII letters only, as LIKE does.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_FOLDED_AWAY = range(ord("A"), ord("Z") + 1)


def _exact(query: SearchQuery) -> str:
    return " ".join((query.keyword or "").split())


def _past(prefix: str) -> str | None:
    """The least string, as ``COLLATE NOCASE`` compares, above all that start with ``prefix``.

    So ``label > prefix AND label < _past(prefix)`` (both ``NOCASE``) is
    ``label LIKE 'prefix%' AND label <> prefix`` (LIKE without case for ASCII,
    as NOCASE), and a range of the name index with nothing checked per name.
    NOCASE compares the UTF-8 bytes (code points, in order) with ASCII
    letters folded to lower case: the prefix folded, its last character
    moved on by one. None when there is no such string.
    """
    folded = prefix.translate(_ASCII_LOWER)
    if not folded:
        return None
    following = ord(folded[-1]) + 1
    if following in _FOLDED_AWAY:
        # "@" + 1 is "A", which NOCASE reads as "a": the next character a
        # folded name can hold is "[".
        following = ord("[")
    elif following == 0xD800:
        following = 0xE000  # no character between (the surrogates)
    elif following > 0x10FFFF:
        return None
    return folded[:-1] + chr(following)


@lru_cache(maxsize=512)
def _parameters(query: SearchQuery) -> Mapping[str, Any]:
    """The search's parameters, for every statement (each makes its own dict from them)."""
    exact = _exact(query)
    return MappingProxyType(
        {
            "exact": exact,
            "past": _past(exact),
            "starts": exact.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
            "tag": query.tag,
            "cuisine": query.cuisine,
            "category": query.category,
            "ingredient": query.ingredient,
            "without_ingredient": query.without_ingredient,
            "max_total": query.max_total_minutes,
        }
    )


def page_ids(
    connection: Connection,
    query: SearchQuery,
    tiers: Sequence[Tier],
    *,
    start: int,
    after: int | None,
    limit: int,
) -> list[tuple[int, int]]:
    """(tier, id) of the page: tier ``start`` after recipe ``after``, then the tiers below."""
    _with_functions(connection)
    found: list[tuple[int, int]] = []
    params = _parameters(query)
    number = start
    while number < len(tiers):
        if tiers[number].empty:
            number += 1
            continue
        bounded = number == start and after is not None
        if not bounded and _names_together(tiers, number, params):
            # The exact name and the names starting with the words: one range.
            rows = _execute(connection, _names_sql(query), {**params, "limit": limit - len(found)})
            found.extend((number if exact else number + 1, row_id) for row_id, exact in rows)
            number += 2
        elif _in_no_name_or_ingredients(connection, tiers[number]):
            number += 1
            continue
        else:
            sql, match = _tier_sql(query, tiers[number], after=bounded, limit="LIMIT :limit")
            limited = {**params, "match": match, "after": after, "limit": limit - len(found)}
            found.extend((number, row_id) for (row_id,) in _execute(connection, sql, limited))
            number += 1
        if len(found) >= limit:
            break
    return found


# The groups (a word and its alternatives) that no recipe has in its name or its
# ingredients, each an FTS5 expression: one lookup in each of the two indexes.
_NOWHERE_NEAR = (
    "SELECT count(*) FROM json_each(:groups) AS g"
    " WHERE NOT EXISTS (SELECT 1 FROM recipe_name_fts WHERE recipe_name_fts MATCH g.value)"
    " AND NOT EXISTS (SELECT 1 FROM recipe_ingredient_words_fts"
    " WHERE recipe_ingredient_words_fts MATCH g.value)"
)


def _in_no_name_or_ingredients(connection: Connection, tier: Tier) -> bool:
    """Whether the tier "every word in name and ingredients" is empty: some word is in neither.

    Its own query is a column filter on the whole recipe's index, which reads
    every match of a word to find none there when the word is elsewhere only:
    "vegan", in the tags of one recipe in eight, 19 ms at a million. The names'
    and the ingredients' own indexes (migrations 0025, 0029) hold every recipe's
    words, so a word in neither is in no recipe's name or ingredients.
    """
    include = tier.include
    if not isinstance(include, Words) or include.fields != "label ingredients":
        return False
    groups = orjson.dumps([_group(alternatives) for alternatives in include.groups]).decode()
    (nowhere,) = _execute(connection, _NOWHERE_NEAR, {"groups": groups}).fetchone()
    return bool(nowhere)


def _names_together(tiers: Sequence[Tier], number: int, params: Mapping[str, Any]) -> bool:
    """Whether tier ``number`` is the exact name, and the next the names starting with it."""
    return (
        tiers[number].name == "exact"
        and number + 1 < len(tiers)
        and tiers[number + 1].name == "starts"
        and not tiers[number + 1].empty
        and params["past"] is not None
    )


@lru_cache(maxsize=512)
def _names_sql(query: SearchQuery) -> str:
    """The exact name's tier and then the next (names starting with the words), one statement.

    The names from the words to ``:past`` (``_past``), without case: the words
    alone first, then the others; each newest first. One range of the name
    index, sorted; the two tiers apart read the same range and its first name.
    """
    conditions = [
        "recipe.label >= :exact COLLATE NOCASE AND recipe.label < :past COLLATE NOCASE",
        *_filters(query),
    ]
    return (
        "SELECT recipe.id, recipe.label = :exact COLLATE NOCASE AS exact FROM recipe"
        f"{_where(conditions)} ORDER BY exact DESC, recipe.id DESC LIMIT :limit"
    )


# With filters, the count looks at most this many of the words' matches (newest
# first): "minced" ready in 10 minutes read every recipe with the word to find
# 1,001 quick ones (past the 1 s limit at 100k). Beyond, the count is a floor.
FILTERED_COUNT_SCAN = 2000


def count(
    connection: Connection, query: SearchQuery, everything: Matches | None, bound: int
) -> tuple[int, bool]:
    """How many recipes match, counted up to ``bound``; and whether that count is exact."""
    _with_functions(connection)
    sql, match, filtered = _count_sql(query, everything)
    params = {
        **_parameters(query),
        "after": None,
        "limit": bound,
        "match": match,
        "scan": FILTERED_COUNT_SCAN,
    }
    if not filtered:
        return int(_execute(connection, sql, params).fetchone()[0]), True
    found, scanned = _execute(connection, sql, params).fetchone()
    return int(found), int(scanned) < FILTERED_COUNT_SCAN


@lru_cache(maxsize=512)
def _count_sql(query: SearchQuery, everything: Matches | None) -> tuple[str, str | None, bool]:
    """``count``'s statement, its ``:match``, and whether it filters the words' matches."""
    plain = query.words_only
    if everything is None or plain == query:
        sql, match = _tier_sql(query, Tier(include=everything), after=False, limit="LIMIT :limit")
        return f"SELECT count(*) FROM ({sql})", match, False
    candidates, match = _tier_sql(plain, Tier(include=everything), after=False, limit="LIMIT :scan")
    filtered = " AND ".join(_filters(query))
    sql = (
        f"WITH candidates AS MATERIALIZED ({candidates}) SELECT (SELECT count(*) FROM ("
        "SELECT 1 FROM candidates CROSS JOIN recipe ON recipe.id = candidates.id "
        f"WHERE {filtered} LIMIT :limit)), (SELECT count(*) FROM candidates)"
    )
    return sql, match, True


_VOCABULARY = "SELECT term, doc FROM recipe_word_vocab WHERE term IN ({})"
# Which words are held, by the index itself, in one statement: fts5vocab counts a
# word's recipes by reading its whole list (18 ms for "chicken" at a million), a
# MATCH stops at the first. A typo's 300-odd variants: 2.7 ms, against 8 to 10
# through the vocabulary (bench/search_shapes.py, "search typo").
_HELD = (
    "SELECT value FROM json_each(:words) WHERE EXISTS (SELECT 1 FROM recipe_words_fts"
    " WHERE recipe_words_fts MATCH '\"' || replace(value, '\"', '\"\"') || '\"')"
)


def held_words(connection: Connection, words: Sequence[str]) -> set[str]:
    """Which of ``words`` some recipe of the vocabulary holds (as written, unstemmed)."""
    # A word the tokenizer splits ("a_b") is no one term of the vocabulary, and
    # a phrase is no query this index (detail=none) answers.
    asked = [word for word in dict.fromkeys(words) if word.isalnum()]
    if not asked:
        return set()
    words_json = orjson.dumps(asked).decode()
    return {word for (word,) in _execute(connection, _HELD, {"words": words_json})}


def word_counts(connection: Connection, words: Sequence[str]) -> dict[str, int]:
    """How many recipes hold each of ``words`` as written (unstemmed); absent words left out."""
    if not words:
        return {}
    sql = _VOCABULARY.format(", ".join(f":w{n}" for n in range(len(words))))
    rows = _execute(connection, sql, {f"w{n}": word for n, word in enumerate(words)})
    return {term: int(recipes) for term, recipes in rows}


def _utc(value: str) -> datetime:
    """A stored timestamp as the column's type reads it (``UTCDateTime`` over ``fromisoformat``)."""
    if value[10:11] == " ":
        # A date and a time as SQLAlchemy and CURRENT_TIMESTAMP write them, read
        # as UTC in one call: 0.17 µs, where ``replace(tzinfo=UTC)`` on the naive
        # one cost 1.0 (22 timestamps on a page of ten). One that has an offset
        # of its own refuses a second: read as it is below.
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass
    found = datetime.fromisoformat(value)
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _json(value: str) -> Any:
    """A stored JSON value as SQLAlchemy's ``json.loads`` reads it, in a twentieth of the time.

    orjson refuses what ``json`` takes beyond the standard (a lone surrogate's
    escape, ``NaN``): those go to ``json``.
    """
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)


def _converter(type_: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """How a column's stored value becomes what its SQLAlchemy type reads; None: as stored.

    The common types directly (one call a value, not SQLAlchemy's chain of
    processors); any other through its type's own result processor.
    """
    if isinstance(type_, UTCDateTime):
        return _utc
    if isinstance(type_, JSON):
        return _json
    if isinstance(type_, Boolean):
        return bool
    if isinstance(type_, Integer | String):
        return None
    return type_._cached_result_processor(_DIALECT, None)  # pragma: no cover - no such column yet


# The page's rows: the answer's fields in the answer's order, so a row is
# dict(zip(...)) of its tuple, then the few columns stored as text converted.
ROW_FIELDS = tuple(RecipeOut.model_fields)
_CONVERTED = tuple(
    (name, convert)
    for name in ROW_FIELDS
    if (convert := _converter(recipe_table.c[name].type)) is not None
)


def _row_maker() -> Callable[[Sequence[Any]], dict[str, Any]]:
    """One function making a row's dict from its tuple, the stored-as-text columns converted.

    Written once from ``ROW_FIELDS`` and ``_CONVERTED``, as ``dataclasses``
    writes a class's ``__init__``: one dict display, each value in its place.
    ``dict(zip(...))`` and a loop over the converted columns cost 3.3 µs a
    row; this 2.3.
    """
    converters = dict(_CONVERTED)
    scope: dict[str, Any] = {}
    values = []
    for index, name in enumerate(ROW_FIELDS):
        if name in converters:
            scope[f"convert_{index}"] = converters[name]
            value = f"None if (v := stored[{index}]) is None else convert_{index}(v)"
        else:
            value = f"stored[{index}]"
        values.append(f"{name!r}: {value}")
    source = "def make(stored):\n    return {" + ", ".join(values) + "}\n"
    exec(compile(source, "<recipes_by_id row>", "exec"), scope)
    make: Callable[[Sequence[Any]], dict[str, Any]] = scope["make"]
    return make


_MAKE_ROW = _row_maker()
_ROWS = (
    "SELECT "
    + ", ".join(f"recipe.{_DIALECT.identifier_preparer.quote(name)}" for name in ROW_FIELDS)
    + " FROM recipe WHERE recipe.id IN ({})"
)


def _padded(ids: Sequence[int]) -> list[int]:
    """``ids`` padded with its last to the next power of two, so few SQL texts are prepared.

    sqlite3 keeps 128 prepared statements per connection; one text per page
    length (up to 101) would push the search's other statements out.
    """
    size = 1 << (len(ids) - 1).bit_length()
    return [*ids, *([ids[-1]] * (size - len(ids)))]


def recipes_by_id(connection: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The recipes ``ids`` name (those still there): the answer's fields, typed as the model's."""
    if not ids:
        return {}
    values = _padded(ids)
    sql = _ROWS.format(", ".join("?" * len(values)))
    raw = connection.connection.dbapi_connection
    assert raw is not None
    try:
        rows = raw.execute(sql, values).fetchall()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc
    return {row["id"]: row for row in map(_MAKE_ROW, rows)}


def _matching_ids(query: SearchQuery, everything: Matches | None) -> tuple[str, dict[str, Any]]:
    """The ids of at most ``:limit`` matches, newest first, bounded like :func:`count`.

    The one place a predicate on every match goes (with :func:`_filters` and
    :func:`_tier_sql` for the pages): with filters and words, the words' newest
    ``FILTERED_COUNT_SCAN`` matches are filtered, so a rare filter never walks
    every recipe holding a common word.
    """
    params = {**_parameters(query), "after": None}
    plain = query.words_only
    if everything is None or plain == query:
        sql, match = _tier_sql(query, Tier(include=everything), after=False, limit="LIMIT :limit")
        return sql, {**params, "match": match}
    candidates, match = _tier_sql(plain, Tier(include=everything), after=False, limit="LIMIT :scan")
    sql = (
        f"SELECT candidates.id FROM ({candidates}) AS candidates "
        "CROSS JOIN recipe ON recipe.id = candidates.id "
        f"WHERE {' AND '.join(_filters(query))} LIMIT :limit"
    )
    return sql, {**params, "match": match, "scan": FILTERED_COUNT_SCAN}


# Per facet: the values and how many of the matched recipes hold each, from one
# scan of the matches (the CTE is read three times, each a join by rowid).
_FACETS = (
    "WITH matched AS MATERIALIZED ({ids}), picked AS MATERIALIZED ("
    "SELECT recipe.tags, recipe.cuisine, recipe.category FROM matched "
    "CROSS JOIN recipe ON recipe.id = matched.id) "
    "SELECT 'tag', tag.value, count(*) FROM picked, json_each(picked.tags) AS tag "
    "GROUP BY tag.value "
    "UNION ALL SELECT 'cuisine', min(cuisine), count(*) FROM picked WHERE cuisine IS NOT NULL "
    "GROUP BY cuisine COLLATE NOCASE "
    "UNION ALL SELECT 'category', min(category), count(*) FROM picked WHERE category IS NOT NULL "
    "GROUP BY category COLLATE NOCASE "
    "UNION ALL SELECT '', NULL, count(*) FROM matched"
)


def facet_counts(
    connection: Connection, query: SearchQuery, everything: Matches | None, scan: int
) -> list[tuple[str, str | None, int]]:
    """(facet, value, recipes) over at most ``scan`` matches; the facet ``''``: how many."""
    _with_functions(connection)
    ids, params = _matching_ids(query, everything)
    rows = _execute(connection, _FACETS.format(ids=ids), {**params, "limit": scan})
    return [(str(kind), value, int(number)) for kind, value, number in rows]
