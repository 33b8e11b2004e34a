"""Queries on recipes. No function here commits: ``Database.run`` does.

The read statements are built once where they can be: on SQLite, building a
``select()`` per call costs more than running it.

Search never scans the table (``docs/decisions/0009-recipe-details-and-search.md``):
on SQLite it reads an FTS5 trigram index per field newest first and stops at
the limit; on PostgreSQL one statement first looks among the newest
``RECENT_WINDOW`` recipes (enough for any common word), and only when they
hold too few matches asks the GIN indexes (pg_trgm, and for a one-word
keyword in ingredient lists the exact words index) for every match (a rare
word has few). With a time limit, which no index answers, a word common in
that window walks the newest ``DEEP_WINDOW`` recipes first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Integer,
    RowMapping,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, TSQUERY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from recipe_api.recipes.models import recipe_count_table, recipe_table
from recipe_api.users.models import user_table

_c = recipe_table.c
_NEWEST_FIRST = (_c.created_at.desc(), _c.id.desc())

# On PostgreSQL (see ``_postgresql_rank``): how many of the newest recipes a
# search reads before it asks the trigram indexes; one word in a hundred
# recipes fills a page of ten here.
RECENT_WINDOW = 1000
# With a time limit (which no index answers), a word common among the newest
# recipes may still find too few of them quick enough: then the newest this
# many are walked, newest first, until the page is full, rather than reading
# every recipe with the word (177,000 for "minced" at 1M: seconds).
DEEP_WINDOW = 50_000
# ...when the word (with the indexed filters) is in at least this many of the
# window's recipes: at 1M the index part would then read 5,000 or more.
COMMON_IN_WINDOW = 5

_GET = select(recipe_table).where(_c.id == bindparam("recipe_id"))
# The recipe page shows who submitted it: one round trip for both.
_GET_WITH_SUBMITTER = (
    select(recipe_table, user_table.c.first_name, user_table.c.surname)
    .join(user_table, user_table.c.id == _c.submitter_id)
    .where(_c.id == bindparam("recipe_id"))
)
_TOTAL = select(recipe_count_table.c.recipes).where(recipe_count_table.c.id == 1)
_OFFSET_PAGE = (
    select(recipe_table)
    .order_by(*_NEWEST_FIRST)
    .offset(bindparam("skip"))
    .limit(bindparam("limit"))
)
# After a cursor: the row it names is read inside the query, so the comparison
# is between stored values (SQLite keeps timestamps as text of varying
# precision); the cursor's own timestamp serves only when that row is gone.
_AFTER_ROW = select(_c.created_at).where(_c.id == bindparam("after_id")).scalar_subquery()


def _cursor_page(fallback_type: Any) -> Select[Any]:
    fallback = bindparam("after_created_at", type_=fallback_type)
    return (
        select(recipe_table)
        .where(
            tuple_(_c.created_at, _c.id)
            < tuple_(func.coalesce(_AFTER_ROW, fallback), bindparam("after_id", type_=Integer()))
        )
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("limit"))
    )


_CURSOR_PAGE = _cursor_page(_c.created_at.type)
# SQLite compares the text it stored: CURRENT_TIMESTAMP's form, without fractions.
_CURSOR_PAGE_SQLITE = _cursor_page(String())
_MINE = _c.submitter_id == bindparam("submitter_id")
_SUBMITTER_CURSOR_PAGE = _CURSOR_PAGE.where(_MINE)
_SUBMITTER_CURSOR_PAGE_SQLITE = _CURSOR_PAGE_SQLITE.where(_MINE)
_NEWEST = select(recipe_table).order_by(*_NEWEST_FIRST).limit(bindparam("limit"))

_BY_SUBMITTER = (
    select(recipe_table)
    .where(_c.submitter_id == bindparam("submitter_id"))
    .order_by(*_NEWEST_FIRST)
    .offset(bindparam("skip"))
    .limit(bindparam("limit"))
)
_COUNT_BY_SUBMITTER = select(func.count()).where(_c.submitter_id == bindparam("submitter_id"))

# Keyset paging for the home page: a page starts next to a known recipe, so a
# deep page costs what the first one does (no OFFSET scan).
_CURSOR = select(recipe_table.c.created_at).where(_c.id == bindparam("cursor")).scalar_subquery()
_OLDER = (
    select(recipe_table)
    .where(
        or_(_c.created_at < _CURSOR, and_(_c.created_at == _CURSOR, _c.id < bindparam("cursor")))
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
_NEWER = (
    select(recipe_table)
    .where(
        or_(_c.created_at > _CURSOR, and_(_c.created_at == _CURSOR, _c.id > bindparam("cursor")))
    )
    .order_by(_c.created_at.asc(), _c.id.asc())
    .limit(bindparam("limit"))
)


def get_recipe(connection: Connection, recipe_id: int) -> RowMapping | None:
    return connection.execute(_GET, {"recipe_id": recipe_id}).mappings().first()


def get_recipe_with_submitter(connection: Connection, recipe_id: int) -> RowMapping | None:
    return connection.execute(_GET_WITH_SUBMITTER, {"recipe_id": recipe_id}).mappings().first()


def list_recipes_by_submitter(
    connection: Connection, submitter_id: int, *, skip: int, limit: int
) -> tuple[Sequence[RowMapping], int]:
    params = {"submitter_id": submitter_id, "skip": skip, "limit": limit}
    items = connection.execute(_BY_SUBMITTER, params).mappings().all()
    return items, count_recipes_by_submitter(connection, submitter_id)


def count_recipes_by_submitter(connection: Connection, submitter_id: int) -> int:
    """Through the submitter's index: as many rows as the cook has recipes."""
    return int(connection.execute(_COUNT_BY_SUBMITTER, {"submitter_id": submitter_id}).scalar_one())


def submitted_with_url(connection: Connection, submitter_id: int, url: str) -> int | None:
    """The id of one of the submitter's recipes at ``url`` (through the submitter's index)."""
    statement = (
        select(_c.id).where(_c.submitter_id == submitter_id, _c.url == url).order_by(_c.id).limit(1)
    )
    return connection.execute(statement).scalar()


def recipes_older_than(
    connection: Connection, cursor: int | None, *, limit: int
) -> Sequence[RowMapping]:
    """Newest first, starting after recipe ``cursor`` (from the newest without one)."""
    if cursor is None:
        return connection.execute(_NEWEST, {"limit": limit}).mappings().all()
    return connection.execute(_OLDER, {"cursor": cursor, "limit": limit}).mappings().all()


def recipes_newer_than(connection: Connection, cursor: int, *, limit: int) -> Sequence[RowMapping]:
    """The ``limit`` recipes just newer than recipe ``cursor``, newest first."""
    rows = connection.execute(_NEWER, {"cursor": cursor, "limit": limit}).mappings().all()
    return rows[::-1]


def count_recipes(connection: Connection) -> int:
    """The number of recipes, from the counter the triggers keep: one row read."""
    total = connection.execute(_TOTAL).scalar()
    return int(total or 0)


def list_recipes(connection: Connection, *, skip: int, limit: int) -> Sequence[RowMapping]:
    return connection.execute(_OFFSET_PAGE, {"skip": skip, "limit": limit}).mappings().all()


def list_recipes_after(
    connection: Connection,
    *,
    after_id: int,
    after_created_at: datetime,
    limit: int,
    submitter_id: int | None = None,
) -> Sequence[RowMapping]:
    """The page after the recipe ``after_id``, newest first: an index range, never an offset.

    With ``submitter_id``, only that cook's recipes (their "my recipes").
    """
    params: dict[str, Any] = {"after_id": after_id, "limit": limit}
    mine = submitter_id is not None
    if mine:
        params["submitter_id"] = submitter_id
    if connection.dialect.name == "sqlite":
        stamp = after_created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if after_created_at.microsecond:
            stamp += after_created_at.strftime(".%f")
        statement = _SUBMITTER_CURSOR_PAGE_SQLITE if mine else _CURSOR_PAGE_SQLITE
        return connection.execute(statement, {**params, "after_created_at": stamp}).mappings().all()
    statement = _SUBMITTER_CURSOR_PAGE if mine else _CURSOR_PAGE
    params["after_created_at"] = after_created_at
    return connection.execute(statement, params).mappings().all()


@dataclass(frozen=True)
class SearchQuery:
    keyword: str | None = None
    tag: str | None = None
    ingredient: str | None = None
    max_total_minutes: int | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.keyword is None
            and self.tag is None
            and self.ingredient is None
            and self.max_total_minutes is None
        )


def search_recipes(connection: Connection, query: SearchQuery, *, limit: int) -> list[RowMapping]:
    """Recipes matching ``query``, best first.

    The keyword matches any part of the label, an ingredient line, a tag or
    the description, any case. Label matches come first, then ingredient
    matches, then the rest; newest first (by id, the order of creation)
    within each. The tag must be one of the recipe's tags exactly (any case);
    the ingredient any part of an ingredient line. Without any criterion:
    the newest recipes.
    """
    if query.is_empty:
        return list(connection.execute(_NEWEST, {"limit": limit}).mappings().all())
    if connection.dialect.name == "sqlite":
        return _search_sqlite(connection, query, limit)
    return _search_postgresql(connection, query, limit)


# --- SQLite: FTS5 tables with the trigram tokenizer, one per field ---------------------

_FTS = {
    field: table(f"recipe_{field}_fts", column("rowid", Integer), column("text", String()))
    for field in ("label", "ingredients", "tags", "description")
}
_TAG_EXACT = (
    select(literal(1))
    .select_from(func.json_each(_c.tags).table_valued("value"))
    .where(literal_column("value") == bindparam("tag", type_=String()))
    .exists()
)
# Trigram needs three characters; a shorter tag cannot use the index.
_TRIGRAM = 3


def _phrase(text_: str) -> str:
    """An FTS5 string: the characters as they are, no query syntax."""
    return '"' + text_.replace('"', '""') + '"'


def _fts_match(field: str) -> ColumnElement[bool]:
    # The table's hidden column of its own name is what MATCH takes.
    return literal_column(f"recipe_{field}_fts").op("MATCH")(bindparam("match", type_=String()))


def _sqlite_filter_phrases(query: SearchQuery) -> dict[str, list[str]]:
    phrases: dict[str, list[str]] = {}
    if query.ingredient is not None:
        phrases["ingredients"] = [query.ingredient]
    if query.tag is not None and len(query.tag) >= _TRIGRAM:
        phrases["tags"] = [query.tag]
    return phrases


@lru_cache(maxsize=64)
def _sqlite_statement(
    driver: str | None, *, tag: bool, max_total: bool, ingredient: bool, exclude: bool
) -> Select[Any]:
    """Matches read from the ``driver`` field's index, newest first.

    Built once per shape (building a ``select()`` cost a third of a search at
    1,000 rows); the phrases go in as the ``match`` parameter, the ids of the
    ranks above as ``found``.
    """
    conditions: list[ColumnElement[bool]] = []
    if tag:
        conditions.append(_TAG_EXACT)
    if max_total:
        conditions.append(_c.total_minutes <= bindparam("max_total", type_=Integer()))
    if exclude:
        conditions.append(_c.id.not_in(bindparam("found", expanding=True)))
    if driver is None:
        # Nothing an index serves: newest first, filtered as it goes (bounded in time).
        return (
            select(recipe_table)
            .where(and_(true(), *conditions))
            .order_by(_c.id.desc())
            .limit(bindparam("limit"))
        )
    fts = _FTS[driver]
    if ingredient and driver != "ingredients":
        # Checked on each candidate the driver yields, by rowid: a MATCH here
        # would evaluate the whole phrase query once per candidate (0.7 ms each).
        lines = _FTS["ingredients"]
        contains = func.casefold_contains(lines.c.text, bindparam("ingredient", type_=String()))
        row = select(contains).where(lines.c.rowid == _c.id).scalar_subquery()
        conditions.append(row == 1)
    return (
        select(recipe_table)
        .join_from(fts, recipe_table, _c.id == fts.c.rowid)
        .where(_fts_match(driver), *conditions)
        # FTS5 walks its index in rowid order: newest first, no sort.
        .order_by(fts.c.rowid.desc())
        .limit(bindparam("limit"))
    )


def _sqlite_match(query: SearchQuery, driver: str | None) -> str | None:
    if driver is None:
        return None
    phrases = _sqlite_filter_phrases(query).get(driver, [])
    if query.keyword is not None:
        phrases = [query.keyword, *phrases]
    return " AND ".join(_phrase(p) for p in phrases)


def _sqlite_tiers(query: SearchQuery) -> list[list[str | None]]:
    """The fields whose index each rank reads, best rank first."""
    if query.keyword is not None:
        return [["label"], ["ingredients"], ["tags", "description"]]
    filters = _sqlite_filter_phrases(query)
    return [[next(iter(filters), None)]]


def _search_sqlite(connection: Connection, query: SearchQuery, limit: int) -> list[RowMapping]:
    found: list[RowMapping] = []
    for drivers in _sqlite_tiers(query):
        # A rank is read only when the ranks before it were exhausted, so what
        # they found is all of their matches: the exclusion list stays short.
        found_ids = [row["id"] for row in found]
        wanted = limit - len(found)
        rows: list[RowMapping] = []
        for driver in drivers:
            statement = _sqlite_statement(
                driver,
                tag=query.tag is not None,
                max_total=query.max_total_minutes is not None,
                ingredient=query.ingredient is not None,
                exclude=bool(found_ids),
            )
            params: dict[str, Any] = {
                "match": _sqlite_match(query, driver),
                "tag": query.tag,
                "max_total": query.max_total_minutes,
                "ingredient": query.ingredient,
                "found": found_ids,
                "limit": wanted,
            }
            rows.extend(connection.execute(statement, params).mappings().all())
        if len(drivers) > 1:
            rows = sorted({row["id"]: row for row in rows}.values(), key=lambda r: -r["id"])
        found.extend(rows[:wanted])
        if len(found) >= limit:
            break
    return found


# --- PostgreSQL: pg_trgm GIN indexes on the same expressions ---------------------------

# Unqualified column names: the same condition filters ``recipe`` and the
# window of its newest rows (``recent``).
_LABEL_TEXT = func.lower(literal_column("label"))
# The JSON text of the lists, lower-cased; for ingredients a stored generated
# column (lowering 600 characters per row would dominate the window's cost).
# Keywords are escaped as JSON for them, so a match never spans two lines
# (their separator holds a bare quote).
_INGREDIENTS_TEXT: ColumnElement[str] = literal_column("search_ingredients")
_TAGS_TEXT = func.lower(cast(literal_column("tags"), Text()))
_DESCRIPTION_TEXT = func.lower(literal_column("description"))
_ID: ColumnElement[int] = literal_column("id")


def _like_pattern(text_: str, *, as_json: bool = False) -> str:
    if as_json:
        text_ = json.dumps(text_, ensure_ascii=False)[1:-1]
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(expression: ColumnElement[str], name: str) -> ColumnElement[bool]:
    # lower() of the pattern by the server, so both sides fold case alike.
    return expression.like(func.lower(bindparam(name, type_=String())), escape="\\")


# Words of ingredient lists (migration 0008): an ASCII letter-and-digit keyword
# is in the text exactly when it begins one of the indexed suffixes (cut to
# 12 characters); strpos on the candidates checks the whole keyword, and the
# rows too long to index carry a marker every query asks for (see 0008).
_WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_WORD_PREFIX = 12
_INGREDIENT_WORDS = func.recipe_search_words(_INGREDIENTS_TEXT)


def _word_query(text_: str) -> str | None:
    """The tsquery that finds ``text_`` among indexed words, if it is one word."""
    word = text_.lower()
    if not (text_.isascii() and set(word) <= _WORD_CHARACTERS):
        return None
    return f"'{word[:_WORD_PREFIX]}':* | '~unindexed'"


def _ingredients_contain(name: str, *, words: bool) -> tuple[ColumnElement[bool], ...]:
    """``name``'s pattern in the ingredient lines; by the words index too when ``words``."""
    if not words:
        return (_contains(_INGREDIENTS_TEXT, f"{name}_json"),)
    matches = _INGREDIENT_WORDS.op("@@")(cast(bindparam(f"{name}_words", type_=String()), TSQUERY))
    # strpos, not LIKE: the same test for a word, but one the trigram index
    # cannot serve, so the planner cannot prefer it (its estimate for a rare
    # word is low, and it was the 107,000-candidate path this replaces).
    exact = func.strpos(_INGREDIENTS_TEXT, bindparam(f"{name}_word", type_=String())) > 0
    return (matches, exact)


def _postgresql_filters(
    *, tag: bool, ingredient: bool | str, max_total: bool
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The filters, as read in the window and as read from the indexes."""
    window: list[ColumnElement[bool]] = []
    indexed: list[ColumnElement[bool]] = []
    if ingredient:
        window += _ingredients_contain("ingredient", words=False)
        indexed += _ingredients_contain("ingredient", words=ingredient == "words")
    if tag:
        has_tag = literal_column("tags").op("@>")(bindparam("tag_json", type_=JSONB()))
        window.append(has_tag)
        indexed.append(has_tag)
    if max_total:
        total: ColumnElement[int] = literal_column("total_minutes")
        quick_enough = total <= bindparam("max_total", type_=Integer())
        window.append(quick_enough)
        indexed.append(quick_enough)
    return window, indexed


def _postgresql_ranks(
    *, keyword: bool | str
) -> list[tuple[ColumnElement[bool], tuple[ColumnElement[bool], ...]]]:
    """Each rank's condition on the keyword, best rank first (none without a keyword).

    As read in the window, and as read from the indexes.
    """
    if not keyword:
        return [(true(), ())]
    label = _contains(_LABEL_TEXT, "keyword")
    rest = or_(_contains(_TAGS_TEXT, "keyword_json"), _contains(_DESCRIPTION_TEXT, "keyword"))
    return [
        (label, (label,)),
        (
            _contains(_INGREDIENTS_TEXT, "keyword_json"),
            _ingredients_contain("keyword", words=keyword == "words"),
        ),
        (rest, (rest,)),
    ]


@lru_cache(maxsize=32)
def _postgresql_statement(
    *, keyword: bool | str, tag: bool, ingredient: bool | str, max_total: bool
) -> Select[Any]:
    """The whole search in one statement (one round trip), built once per shape.

    For each rank, best first, two parts (three with a time limit) whose
    results are merged:

    - ``window_<r>``: the newest matches of the rank among the newest
      ``RECENT_WINDOW`` recipes, at most ``limit``; read only while the ranks
      above found fewer than ``limit`` there. A common word fills the page
      here, at a cost that does not grow with the table.
    - ``deep_<r>``, with a time limit only: when the rank's condition and the
      indexed filters match ``COMMON_IN_WINDOW`` of the window (so that
      ``every_<r>`` would read many rows only to drop the slow ones), the
      newest ``DEEP_WINDOW`` recipes, newest first, until ``limit`` are found;
      ``every_<r>`` is then read only if this falls short too.
    - ``every_<r>``: every match of the rank, from the trigram (or jsonb) GIN
      indexes; read only when the window's matches of this rank and the ones
      above are fewer than ``limit`` (the "One-Time Filter" in the plan): then
      the word is rare in the newest rows, so it is rare, and its matches are
      few. No ORDER BY or LIMIT inside, so the planner has no reason to walk
      the id index hoping to meet matches soon (a scan for a rare word), and
      MATERIALIZED keeps it from being pushed into the final sort.

    Whenever a rank's window part is read, every rank above it was read in
    full, so the window's matches of a rank are its newest matches overall.
    A recipe found under several ranks keeps its best; the page is sorted by
    rank, then newest first.
    """
    filters, indexed_filters = _postgresql_filters(
        tag=tag, ingredient=ingredient, max_total=max_total
    )
    indexed_only, _ = _postgresql_filters(tag=tag, ingredient=ingredient, max_total=False)
    ranks = _postgresql_ranks(keyword=keyword)
    # Indexed: something a GIN index answers. Else (only a time limit) the
    # newest rows are filtered as they come, newest first, up to the limit.
    indexed = keyword or tag or ingredient
    limit = bindparam("limit", type_=Integer())

    # NOT MATERIALIZED: each window part reads the newest rows afresh and stops
    # at its limit ("chicken" needs 500 of them, not all 1,000).
    def newest(rows: int, name: str) -> CTE:
        return (
            select(
                _c.id,
                _c.label,
                literal_column("search_ingredients"),
                _c.tags,
                _c.description,
                _c.total_minutes,
            )
            .order_by(_c.id.desc())
            .limit(rows)
            .cte(name)
            .prefix_with("NOT MATERIALIZED")
        )

    recent = newest(RECENT_WINDOW, "recent")
    deep_recent = newest(DEEP_WINDOW, "deep_recent")
    parts: list[Select[Any]] = []
    window_counts: list[ColumnElement[int]] = []
    every_counts: list[ColumnElement[int]] = []

    def fewer_than_limit(counts: list[ColumnElement[int]]) -> list[ColumnElement[bool]]:
        return [sum(counts[1:], counts[0]) < limit] if counts else []

    for number, (condition, indexed_condition) in enumerate(ranks, start=1):
        above = [~earlier for earlier, _ in ranks[: number - 1]]
        if above:
            # Only a row of this rank is checked against the ranks above: in a
            # CASE, which the planner keeps in order (a flat AND it sorts by
            # estimated cost, and an absent word paid for every rank's test on
            # every row: 1.4 of the 3 ms at 1M).
            condition = case((condition, and_(*above)), else_=false())
        page_not_full = fewer_than_limit(every_counts)
        window = (
            select(recent.c.id)
            .where(condition, *filters, *fewer_than_limit(window_counts), *page_not_full)
            .order_by(recent.c.id.desc())
            .limit(limit)
        )
        window_cte = window.cte(f"window_{number}")
        window_count: ColumnElement[int] = (
            select(func.count()).select_from(window_cte).scalar_subquery()
        )
        if max_total and indexed:
            # The deep walk, when the rank's word (and indexed filters) are common in
            # the window, so that the index part would read many recipes. It finds
            # the window's matches again: the rank counts the larger of the two.
            common_enough = literal(COMMON_IN_WINDOW, type_=Integer())
            common = select(recent.c.id).where(condition, *indexed_only).limit(common_enough)
            in_window = select(func.count()).select_from(common.subquery()).scalar_subquery()
            deep = (
                select(deep_recent.c.id)
                .where(
                    condition,
                    *filters,
                    *fewer_than_limit([*window_counts, window_count]),
                    *page_not_full,
                    in_window >= common_enough,
                )
                .order_by(deep_recent.c.id.desc())
                .limit(limit)
            )
            deep_cte = deep.cte(f"deep_{number}")
            deep_count = select(func.count()).select_from(deep_cte).scalar_subquery()
            window_count = func.greatest(window_count, deep_count)
            parts.append(select(deep_cte.c.id, literal(number, type_=Integer()).label("rank")))
        window_counts.append(window_count)
        every = select(_c.id).where(
            *indexed_condition,
            *indexed_filters,
            *fewer_than_limit(window_counts),
            *page_not_full,
        )
        if not indexed:
            every = every.order_by(_c.id.desc()).limit(limit)
        every_cte = every.cte(f"every_{number}").prefix_with("MATERIALIZED")
        every_counts.append(select(func.count()).select_from(every_cte).scalar_subquery())
        rank = literal(number, type_=Integer()).label("rank")
        parts += [select(window_cte.c.id, rank), select(every_cte.c.id, rank)]
    candidates = union_all(*parts).subquery("candidates")
    best = (
        select(candidates.c.id, func.min(candidates.c.rank).label("rank"))
        .group_by(candidates.c.id)
        .order_by(func.min(candidates.c.rank), candidates.c.id.desc())
        .limit(limit)
        .subquery("best")
    )
    return (
        select(recipe_table).join(best, best.c.id == _c.id).order_by(best.c.rank, best.c.id.desc())
    )


def _search_postgresql(connection: Connection, query: SearchQuery, limit: int) -> list[RowMapping]:
    keyword_words = None if query.keyword is None else _word_query(query.keyword)
    ingredient_words = None if query.ingredient is None else _word_query(query.ingredient)
    statement = _postgresql_statement(
        keyword="words" if keyword_words else query.keyword is not None,
        tag=query.tag is not None,
        ingredient="words" if ingredient_words else query.ingredient is not None,
        max_total=query.max_total_minutes is not None,
    )
    params: dict[str, Any] = {
        "keyword_words": keyword_words,
        "keyword_word": query.keyword.lower() if keyword_words and query.keyword else None,
        "ingredient_words": ingredient_words,
        "ingredient_word": (
            query.ingredient.lower() if ingredient_words and query.ingredient else None
        ),
        "keyword": None if query.keyword is None else _like_pattern(query.keyword),
        "keyword_json": None
        if query.keyword is None
        else _like_pattern(query.keyword, as_json=True),
        "ingredient_json": None
        if query.ingredient is None
        else _like_pattern(query.ingredient, as_json=True),
        "tag_json": None if query.tag is None else [query.tag],
        "max_total": query.max_total_minutes,
        "limit": limit,
    }
    return list(connection.execute(statement, params).mappings().all())


# --- Writes -----------------------------------------------------------------------------


def add_recipe(
    connection: Connection,
    *,
    label: str,
    submitter_id: int,
    source: str = "",
    url: str = "",
    **details: Any,
) -> RowMapping:
    statement = (
        insert(recipe_table)
        .values(label=label, source=source, url=url, submitter_id=submitter_id, **details)
        .returning(*recipe_table.c)
    )
    return connection.execute(statement).mappings().one()


def add_recipe_once(
    connection: Connection, *, submitter_id: int, idea_url: str, **columns: Any
) -> tuple[int, bool]:
    """The submitter's recipe saved from ``idea_url``: a new row, or the one already there.

    Returns its id and whether it was inserted now. The unique index on
    (submitter_id, idea_url) decides, not a read before the write: of two
    inserts at once, the second waits for the first and does nothing.
    """
    dialect = connection.dialect.name
    insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert_into(recipe_table)
        .values(submitter_id=submitter_id, idea_url=idea_url, **columns)
        .on_conflict_do_nothing(
            index_elements=[_c.submitter_id, _c.idea_url], index_where=_c.idea_url.is_not(None)
        )
        .returning(_c.id)
    )
    inserted = connection.execute(statement).scalar()
    if inserted is not None:
        return inserted, True
    existing = select(_c.id).where(_c.submitter_id == submitter_id, _c.idea_url == idea_url)
    return connection.execute(existing).scalar_one(), False


def total_from_parts(changes: dict[str, Any]) -> ColumnElement[int]:
    """The total time as prep plus cook, ``changes``' values over the row's, computed in SQL.

    Inside the UPDATE that sets the parts, so it reads the row as that
    statement finds it: two updates at once, one of the prep time and one of
    the cook time, both add up the row's latest parts (PostgreSQL re-reads a
    row another transaction changed meanwhile before updating it; SQLite has
    one writer at a time). Null when neither part is known.
    """

    def part(name: str) -> ColumnElement[Any]:
        if name in changes:
            return cast(bindparam(None, changes[name], type_=Integer()), Integer())
        return _c[name]

    prep, cook = part("prep_minutes"), part("cook_minutes")
    return case(
        (and_(prep.is_(None), cook.is_(None)), None),
        else_=func.coalesce(prep, 0) + func.coalesce(cook, 0),
    )


def update_recipe(
    connection: Connection,
    recipe_id: int,
    changes: dict[str, Any],
    *,
    revision: int | None = None,
) -> RowMapping | None:
    """The row after ``changes``; None when there is no such row.

    With ``revision``, only the row still at that revision is updated (None
    when another write got there first): the check and the write are one
    statement. Every update adds one to the row's revision.
    """
    if not changes:
        return get_recipe(connection, recipe_id)
    statement = update(recipe_table).where(_c.id == recipe_id)
    if revision is not None:
        statement = statement.where(_c.revision == revision)
    statement = statement.values(**changes, revision=_c.revision + 1).returning(*recipe_table.c)
    return connection.execute(statement).mappings().first()


def delete_recipe(connection: Connection, recipe_id: int) -> bool:
    return connection.execute(delete(recipe_table).where(_c.id == recipe_id)).rowcount > 0
