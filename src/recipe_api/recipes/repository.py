"""Queries on recipes. No function here commits: ``Database.run`` does.

The read statements are built once where they can be: on SQLite, building a
``select()`` per call costs more than running it.

Search never scans the table (``docs/decisions/0009-recipe-details-and-search.md``):
on SQLite it reads the FTS5 trigram index ``recipe_fts`` newest first and
stops at the limit; on PostgreSQL it first looks among the newest
``RECENT_WINDOW`` recipes (enough for any common word), and only when they
hold too few matches asks the pg_trgm GIN indexes for every match (a rare
word has few).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    RowMapping,
    Select,
    String,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    not_,
    select,
    table,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from recipe_api.recipes.models import recipe_count_table, recipe_table

_c = recipe_table.c
_NEWEST_FIRST = (_c.created_at.desc(), _c.id.desc())

# On PostgreSQL: how many of the newest recipes a search looks at before it
# asks the trigram indexes; a word in one recipe of a hundred fills a page here.
RECENT_WINDOW = 2000

_GET = select(recipe_table).where(_c.id == bindparam("recipe_id"))
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
_CURSOR_PAGE = (
    select(recipe_table)
    .where(
        tuple_(_c.created_at, _c.id)
        < tuple_(
            func.coalesce(_AFTER_ROW, bindparam("after_created_at", type_=_c.created_at.type)),
            bindparam("after_id", type_=Integer()),
        )
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("limit"))
)
_NEWEST = select(recipe_table).order_by(*_NEWEST_FIRST).limit(bindparam("limit"))


def get_recipe(connection: Connection, recipe_id: int) -> RowMapping | None:
    return connection.execute(_GET, {"recipe_id": recipe_id}).mappings().first()


def count_recipes(connection: Connection) -> int:
    """The number of recipes, from the counter the triggers keep: one row read."""
    total = connection.execute(_TOTAL).scalar()
    return int(total or 0)


def list_recipes(connection: Connection, *, skip: int, limit: int) -> Sequence[RowMapping]:
    return connection.execute(_OFFSET_PAGE, {"skip": skip, "limit": limit}).mappings().all()


def list_recipes_after(
    connection: Connection, *, after_id: int, after_created_at: datetime, limit: int
) -> Sequence[RowMapping]:
    """The page after the recipe ``after_id``, newest first: an index range, never an offset."""
    params = {"after_id": after_id, "after_created_at": after_created_at, "limit": limit}
    return connection.execute(_CURSOR_PAGE, params).mappings().all()


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


# --- SQLite: FTS5 with the trigram tokenizer -------------------------------------------

_fts = table("recipe_fts", column("rowid", Integer))
_FTS_ROWID = _fts.c.rowid
_FTS_MATCH = literal_column("recipe_fts").op("MATCH")(bindparam("fts_query", type_=String()))
_TAG_EXACT = (
    select(literal(1))
    .select_from(func.json_each(_c.tags).table_valued("value"))
    .where(literal_column("value") == bindparam("tag", type_=String()))
    .exists()
)
# Trigram needs three characters; a shorter filter cannot use the index.
_TRIGRAM = 3


def _phrase(text_: str) -> str:
    return '"' + text_.replace('"', '""') + '"'


def _fts_filters(query: SearchQuery) -> list[str]:
    parts = []
    if query.ingredient is not None:
        parts.append("{ingredients} : " + _phrase(query.ingredient))
    if query.tag is not None and len(query.tag) >= _TRIGRAM:
        parts.append("{tags} : " + _phrase(query.tag))
    return parts


def _sqlite_tiers(query: SearchQuery) -> list[str | None]:
    """One FTS5 query per rank; each excludes what an earlier one found."""
    filters = _fts_filters(query)
    if query.keyword is None:
        return [" AND ".join(f"({part})" for part in filters) if filters else None]
    word = _phrase(query.keyword)
    tiers = [
        "{label} : " + word,
        "({ingredients} : " + word + ") NOT ({label} : " + word + ")",
        "({tags description} : " + word + ") NOT ({label ingredients} : " + word + ")",
    ]
    return [" AND ".join(f"({part})" for part in [tier, *filters]) for tier in tiers]


def _sqlite_extra(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.tag is not None:
        conditions.append(_TAG_EXACT)
    if query.max_total_minutes is not None:
        conditions.append(_c.total_minutes <= bindparam("max_total", type_=Integer()))
    return conditions


def _search_sqlite(connection: Connection, query: SearchQuery, limit: int) -> list[RowMapping]:
    extra = _sqlite_extra(query)
    params: dict[str, Any] = {"tag": query.tag, "max_total": query.max_total_minutes}
    found: list[RowMapping] = []
    for fts_query in _sqlite_tiers(query):
        if fts_query is None:
            statement = select(recipe_table).where(and_(true(), *extra)).order_by(_c.id.desc())
        else:
            statement = (
                select(recipe_table)
                .join_from(_fts, recipe_table, _c.id == _FTS_ROWID)
                .where(_FTS_MATCH, *extra)
                # FTS5 walks its index in rowid order: newest first, no sort.
                .order_by(_FTS_ROWID.desc())
            )
        rows = connection.execute(
            statement.limit(limit - len(found)), {**params, "fts_query": fts_query}
        )
        found.extend(rows.mappings().all())
        if len(found) >= limit:
            break
    return found


# --- PostgreSQL: pg_trgm GIN indexes on the same expressions ---------------------------

_LABEL_TEXT = func.lower(_c.label)
_INGREDIENTS_TEXT = func.lower(func.recipe_lines(_c.ingredients))
_OTHER_TEXT = func.lower(_c.description + literal_column("E'\\n'") + func.recipe_lines(_c.tags))


def _like_pattern(text_: str) -> str:
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(expression: ColumnElement[str], name: str) -> ColumnElement[bool]:
    # lower() of the pattern by the server, so both sides fold case alike.
    return expression.like(func.lower(bindparam(name, type_=String())), escape="\\")


def _postgresql_tiers(query: SearchQuery) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if query.ingredient is not None:
        filters.append(_contains(_INGREDIENTS_TEXT, "ingredient"))
    if query.tag is not None:
        filters.append(_c.tags.op("@>")(bindparam("tag_json", type_=JSONB())))
    if query.max_total_minutes is not None:
        filters.append(_c.total_minutes <= bindparam("max_total", type_=Integer()))
    if query.keyword is None:
        return [and_(*filters)]
    in_label = _contains(_LABEL_TEXT, "keyword")
    in_ingredients = _contains(_INGREDIENTS_TEXT, "keyword")
    in_other = _contains(_OTHER_TEXT, "keyword")
    return [
        and_(in_label, *filters),
        and_(in_ingredients, not_(in_label), *filters),
        and_(in_other, not_(in_label), not_(in_ingredients), *filters),
    ]


def _recent_matches(condition: ColumnElement[bool], limit: int) -> Select[Any]:
    recent = select(recipe_table).order_by(_c.id.desc()).limit(RECENT_WINDOW).subquery("recent")
    # The same condition, on the window's columns.
    adapted = _adapt(condition, recent)
    return select(recent).where(adapted).order_by(recent.c.id.desc()).limit(limit)


def _adapt(condition: ColumnElement[bool], alias: Any) -> ColumnElement[bool]:
    from sqlalchemy.sql.util import ClauseAdapter

    adapted: ColumnElement[bool] = ClauseAdapter(alias).traverse(condition)
    return adapted


def _all_matches(condition: ColumnElement[bool], limit: int) -> Select[Any]:
    # MATERIALIZED: the matches are gathered from the GIN indexes first, then
    # sorted; the planner may not walk the id index hoping to meet them soon.
    matching = select(_c.id).where(condition).cte("matching").prefix_with("MATERIALIZED")
    return (
        select(recipe_table)
        .join(matching, matching.c.id == _c.id)
        .order_by(_c.id.desc())
        .limit(limit)
    )


def _search_postgresql(connection: Connection, query: SearchQuery, limit: int) -> list[RowMapping]:
    params: dict[str, Any] = {
        "keyword": None if query.keyword is None else _like_pattern(query.keyword),
        "ingredient": None if query.ingredient is None else _like_pattern(query.ingredient),
        "tag_json": None if query.tag is None else [query.tag],
        "max_total": query.max_total_minutes,
    }
    found: list[RowMapping] = []
    for condition in _postgresql_tiers(query):
        wanted = limit - len(found)
        rows = connection.execute(_recent_matches(condition, wanted), params).mappings().all()
        if len(rows) < wanted:
            rows = connection.execute(_all_matches(condition, wanted), params).mappings().all()
        found.extend(rows)
        if len(found) >= limit:
            break
    return found


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


def update_recipe(
    connection: Connection, recipe_id: int, changes: dict[str, Any]
) -> RowMapping | None:
    if not changes:
        return get_recipe(connection, recipe_id)
    statement = (
        update(recipe_table).where(_c.id == recipe_id).values(**changes).returning(*recipe_table.c)
    )
    return connection.execute(statement).mappings().first()


def delete_recipe(connection: Connection, recipe_id: int) -> bool:
    return connection.execute(delete(recipe_table).where(_c.id == recipe_id)).rowcount > 0
