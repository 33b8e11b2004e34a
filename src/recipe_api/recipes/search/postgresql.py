"""The search on PostgreSQL: every tier of a page in one statement, read in order.

Each part of a recipe has its own stored ``tsvector`` (``english``
configuration) with a GIN index and its own statistics (migration 0012):
``search_name``, ``search_ingredient_words``, ``search_other``. A word is
"in the name and ingredients" when ``search_name @@ q OR
search_ingredient_words @@ q``, which the planner answers with a BitmapOr of
two indexes, or by walking the id index backwards when it expects matches to
be common: it knows which, per column ("minced" is in most ingredient lists
and in no name).

A page is ``(tier 0 ... LIMIT n) UNION ALL (tier 1 ... LIMIT n) ... LIMIT n``:
PostgreSQL's Append runs its branches in order and the outer LIMIT stops
pulling once the page is full, so a tier below a full page is never read
(parallel workers are off for bounded queries, which keeps that order).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Integer, RowMapping, bindparam, column, select, text

from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.search.query import AnyOf, Matches, SearchQuery, Tier, Words

_c = recipe_table.c
_VECTORS = {
    "label": ("search_name",),
    "label ingredients": ("search_name", "search_ingredient_words"),
    "all": ("search_name", "search_ingredient_words", "search_other"),
}


class _Statement:
    """SQL text and its parameters, built together."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._groups: dict[tuple[str, ...], str] = {}

    def group(self, alternatives: tuple[str, ...]) -> str:
        """The parameter holding the tsquery of one word and its alternatives."""
        name = self._groups.get(alternatives)
        if name is None:
            name = self._groups[alternatives] = f"g{len(self._groups)}"
            # Quoted lexemes: the words are letters and digits, to_tsquery stems them.
            self.params[name] = " | ".join(f"'{word}'" for word in alternatives)
        return f"to_tsquery('english', :{name})"

    def matches(self, matches: Matches) -> str:
        if isinstance(matches, AnyOf):
            return "(" + " OR ".join(self.matches(option) for option in matches.options) + ")"
        words: Words = matches
        vectors = _VECTORS[words.fields]
        parts = []
        for alternatives in words.groups:
            query = self.group(alternatives)
            parts.append("(" + " OR ".join(f"{v} @@ {query}" for v in vectors) + ")")
        return "(" + " AND ".join(parts) + ")"


def _like_pattern(text_: str, *, as_json: bool = False) -> str:
    if as_json:
        # The ingredients are searched in their JSON text: a keyword escaped as
        # JSON matches the stored text and never spans two lines.
        text_ = json.dumps(text_, ensure_ascii=False)[1:-1]
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(statement: _Statement, query: SearchQuery) -> list[str]:
    conditions = []
    params = statement.params
    if query.tag is not None:
        conditions.append("tags @> CAST(:tag AS jsonb)")
        params["tag"] = json.dumps([query.tag])
    if query.cuisine is not None:
        conditions.append("lower(cuisine) = lower(:cuisine)")
        params["cuisine"] = query.cuisine
    if query.category is not None:
        conditions.append("lower(category) = lower(:category)")
        params["category"] = query.category
    if query.ingredient is not None:
        conditions.append("search_ingredients LIKE lower(:ingredient) ESCAPE '\\'")
        params["ingredient"] = _like_pattern(query.ingredient, as_json=True)
    if query.without_ingredient is not None:
        conditions.append("search_ingredients NOT LIKE lower(:without_ingredient) ESCAPE '\\'")
        params["without_ingredient"] = _like_pattern(query.without_ingredient, as_json=True)
    if query.max_total_minutes is not None:
        conditions.append("total_minutes <= :max_total")
        params["max_total"] = query.max_total_minutes
    return conditions


def _tier_conditions(statement: _Statement, query: SearchQuery, tier: Tier) -> list[str]:
    conditions = []
    if tier.include is not None:
        conditions.append(statement.matches(tier.include))
    for excluded in tier.exclude:
        conditions.append(f"NOT {statement.matches(excluded)}")
    if tier.name is not None:
        exact = " ".join((query.keyword or "").split())
        statement.params["exact"] = exact
        statement.params["starts"] = _like_pattern(exact)[1:]
        # lower(label): the expression of ix_recipe_label_lower (text_pattern_ops).
        conditions.append(
            {
                "exact": "lower(label) = lower(:exact)",
                "starts": "lower(label) LIKE lower(:starts) ESCAPE '\\'"
                " AND lower(label) <> lower(:exact)",
                "not_starts": "lower(label) NOT LIKE lower(:starts) ESCAPE '\\'",
            }[tier.name]
        )
    return conditions + _filters(statement, query)


def _where(conditions: list[str]) -> str:
    return (" WHERE " + " AND ".join(conditions)) if conditions else ""


def page(
    connection: Connection,
    query: SearchQuery,
    tiers: Sequence[Tier],
    *,
    start: int,
    after: int | None,
    limit: int,
) -> list[tuple[int, RowMapping]]:
    """(tier, recipe) of the page: tier ``start`` after recipe ``after``, then the tiers below."""
    statement = _Statement()
    branches = []
    for number in range(start, len(tiers)):
        conditions = _tier_conditions(statement, query, tiers[number])
        if number == start and after is not None:
            conditions.append("id < :after")
            statement.params["after"] = after
        branches.append(
            f"(SELECT id, {number} AS tier FROM recipe{_where(conditions)}"
            " ORDER BY id DESC LIMIT :limit)"
        )
    statement.params["limit"] = limit
    ids = (
        text(f"SELECT id, tier FROM ({' UNION ALL '.join(branches)}) AS tiers LIMIT :limit")
        .columns(column("id", Integer), column("tier", Integer))
        .subquery("page")
    )
    rows = connection.execute(
        select(recipe_table, ids.c.tier.label("search_tier"))
        .join(ids, ids.c.id == _c.id)
        .order_by(ids.c.tier, _c.id.desc()),
        statement.params,
    ).mappings()
    return [(row["search_tier"], row) for row in rows]


def count(
    connection: Connection, query: SearchQuery, everything: Matches | None, bound: int
) -> int:
    """How many recipes match, counted up to ``bound``."""
    statement = _Statement()
    conditions = _tier_conditions(statement, query, Tier(include=everything))
    statement.params["bound"] = bound
    sql = f"SELECT count(*) FROM (SELECT 1 FROM recipe{_where(conditions)} LIMIT :bound) AS found"
    return int(connection.execute(text(sql), statement.params).scalar_one())


_VOCABULARY = text(
    "SELECT word, recipes FROM recipe_word WHERE word IN :words AND recipes > 0"
).bindparams(bindparam("words", expanding=True))


def word_counts(connection: Connection, words: Sequence[str]) -> dict[str, int]:
    """How many recipes hold each of ``words`` as written (unstemmed); absent words left out."""
    if not words:
        return {}
    rows = connection.execute(_VOCABULARY, {"words": list(words)})
    return {word: int(recipes) for word, recipes in rows}
