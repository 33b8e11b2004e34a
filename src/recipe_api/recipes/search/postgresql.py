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
from functools import lru_cache
from typing import Any, TypeGuard

from sqlalchemy import Connection, Integer, RowMapping, Select, TextClause, column, select, text
from sqlalchemy.dialects.postgresql import dialect as postgresql_dialect

from recipe_api.recipes.models import recipe_table
from recipe_api.recipes.search.query import AnyOf, Matches, SearchQuery, Tier, Words
from recipe_api.recipes.visibility import visible_sql

_c = recipe_table.c
_DIALECT = postgresql_dialect()  # type: ignore[no-untyped-call]
# How many of the newest recipes a tier is first looked for in (see _tiers_sql).
WINDOW = 2000
# And how many more after those, for a tier the newest held some of (see _tiers_sql).
WIDER_WINDOW = 20_000
# How many of the newest recipes a count of filters alone looks at first (see count).
COUNT_WINDOW = 10_000
# The buckets of minutes of ``recipe_tags_within`` (migration 0026, the same list):
# a tag ready within N minutes is a lookup of "tag@B", B the first bucket >= N.
TAG_MINUTES_BUCKETS = (10, 15, 20, 30, 45, 60, 90, 120)
# The expression of ix_recipe_tags_within (migration 0026), written as there.
_TAGS_WITHIN = "recipe_tags_within(tags, total_minutes)"
_VECTORS = {
    "label": ("search_name",),
    "label ingredients": ("search_name", "search_ingredient_words"),
    "all": ("search_name", "search_ingredient_words", "search_other"),
}
# The fields whose words one GIN index holds: the name's (0012), the whole recipe's
# (migration 0023's expression index, written here exactly as there).
_ONE_VECTOR = {
    "label": "search_name",
    "all": "(search_name || search_ingredient_words || search_other)",
}


class _Statement:
    """SQL text and its parameters, built together."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._groups: dict[tuple[str, ...], str] = {}
        self._queries: dict[str, str] = {}

    def group(self, alternatives: tuple[str, ...]) -> str:
        """The parameter holding the tsquery of one word and its alternatives."""
        name = self._groups.get(alternatives)
        if name is None:
            name = self._groups[alternatives] = f"g{len(self._groups)}"
            self.params[name] = _alternatives(alternatives)
        return f"to_tsquery('english', :{name})"

    def query(self, tsquery: str) -> str:
        """The parameter holding a whole tsquery (``&``, ``|`` and parentheses of words)."""
        name = self._queries.get(tsquery)
        if name is None:
            name = self._queries[tsquery] = f"q{len(self._queries)}"
            self.params[name] = tsquery
        return f"to_tsquery('english', :{name})"

    def matches(self, matches: Matches, *, walk: bool = False) -> str:
        """The SQL test of ``matches``; ``walk``: for rows read one by one, not through an index.

        Several words are one test of the whole recipe's vector when an index
        reads them (one GIN scan); on a walk, where each row is tested, they
        are a test per column: concatenating the three vectors costs each row
        11 µs, against 4 for the columns (and the first word absent ends it).
        """
        if isinstance(matches, AnyOf):
            options = [option for option in matches.options if _one_scan(option)]
            if (
                not walk
                and len(options) == len(matches.options)
                and len({o.fields for o in options}) == 1
            ):
                # "Two of the three words": one tsquery (a & b) | (a & c) | (b & c),
                # one index scan, instead of an OR of BitmapAnds.
                either = " | ".join(f"({_every(option.groups)})" for option in options)
                return f"({_ONE_VECTOR[options[0].fields]} @@ {self.query(either)})"
            return "(" + " OR ".join(self.matches(o, walk=walk) for o in matches.options) + ")"
        words: Words = matches
        if _one_scan(words) and (not walk or len(_VECTORS[words.fields]) == 1):
            # Every word in one index scan: GIN intersects the words' posting lists.
            # The name's words are one test on a walk too: one vector, so one
            # tsquery of all the words instead of a test per word.
            return f"({_ONE_VECTOR[words.fields]} @@ {self.query(_every(words.groups))})"
        vectors = _VECTORS[words.fields]
        parts = []
        for alternatives in words.groups:
            query = self.group(alternatives)
            parts.append("(" + " OR ".join(f"{v} @@ {query}" for v in vectors) + ")")
        return "(" + " AND ".join(parts) + ")"


def _one_scan(matches: Matches) -> TypeGuard[Words]:
    """Whether ``matches`` is read best by one scan of one GIN index: several words in it.

    One word stays a test per column: a common one is then found by walking
    the newest recipes with a cheap test per row (``chicken``'s capped count:
    14 ms, against 43 ms through the whole recipe's index or with its vector
    concatenated on every row), a rare one by a BitmapOr of small scans.
    """
    return isinstance(matches, Words) and len(matches.groups) > 1 and matches.fields in _ONE_VECTOR


def _alternatives(alternatives: tuple[str, ...]) -> str:
    # Quoted lexemes: the words are letters and digits, to_tsquery stems them.
    return " | ".join(f"'{word}'" for word in alternatives)


def _every(groups: tuple[tuple[str, ...], ...]) -> str:
    """The tsquery text of every group (any of its alternatives)."""
    return " & ".join(f"({_alternatives(alternatives)})" for alternatives in groups)


def _like_pattern(text_: str, *, as_json: bool = False) -> str:
    if as_json:
        # The ingredients are searched in their JSON text: a keyword escaped as
        # JSON matches the stored text and never spans two lines.
        text_ = json.dumps(text_, ensure_ascii=False)[1:-1]
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _tags_within(query: SearchQuery) -> str | None:
    """The key of ``ix_recipe_tags_within`` holding the query's tag and time, if one does."""
    if query.tag is None or query.max_total_minutes is None:
        return None
    bucket = next((b for b in TAG_MINUTES_BUCKETS if b >= query.max_total_minutes), None)
    return None if bucket is None else f"{query.tag}@{bucket}"


def _filters(statement: _Statement, query: SearchQuery, *, walk: bool = False) -> list[str]:
    """The filters' conditions; ``walk``: for rows read one by one (no index-only test)."""
    # First, always: what the query's viewer may see (bare names: some reads are
    # of a derived table of recipe rows).
    conditions = [visible_sql(query.viewer, _DIALECT)]
    params = statement.params
    tags_within = None if walk else _tags_within(query)
    if query.tag is not None and tags_within is None:
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
        # + 0 beside the tag's key: tested on its rows, not a bitmap of its own
        # (33,000 entries for 10 minutes at a million, to intersect with 4,000).
        minutes = "total_minutes" if tags_within is None else "total_minutes + 0"
        conditions.append(f"{minutes} <= :max_total")
        params["max_total"] = query.max_total_minutes
    if tags_within is not None:
        # The tag and a bucket of time in one GIN key (migration 0026): it holds
        # the recipes with the tag ready within the bucket, so it is the tag's
        # test, and the minutes' when N is a bucket. Not on a walk, where it would
        # only cost (the function builds every tag's keys for each row).
        conditions.append(f"{_TAGS_WITHIN} @> CAST(:tags_within AS text[])")
        params["tags_within"] = [tags_within]
    return conditions


def _tier_conditions(
    statement: _Statement,
    query: SearchQuery,
    tier: Tier,
    *,
    filters: bool = True,
    walk: bool = False,
) -> list[str]:
    conditions = []
    if tier.include is not None:
        conditions.append(statement.matches(tier.include, walk=walk))
    for excluded in tier.exclude:
        conditions.append(f"NOT {statement.matches(excluded, walk=walk)}")
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
    return conditions + (_filters(statement, query, walk=walk) if filters else [])


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
    few: Matches | None = None,
) -> list[tuple[int, RowMapping]]:
    """(tier, recipe) of the page: tier ``start`` after recipe ``after``, then the tiers below.

    ``few``: the matches of every tier, when they are known to be few (counted
    below the bound): then they are all read at once through the GIN indexes
    and ranked by a CASE, whatever the planner would guess of each tier.
    """
    statement = _Statement()
    if few is not None:
        ids = _few_sql(statement, query, tiers, few, start=start, after=after)
    else:
        ids = _tiers_sql(statement, query, tiers, start=start, after=after)
    statement.params["limit"] = limit
    rows = connection.execute(_page_statement(ids), statement.params).mappings()
    return [(row["search_tier"], row) for row in rows]


# Statements by their SQL text, built once: the same search builds the same text,
# and text() parses its parameters with a regular expression each time (a third
# of a search's CPU at a thousand recipes, profiled); one statement object also
# keeps SQLAlchemy's cache key of it.
_STATEMENTS = 512


@lru_cache(maxsize=_STATEMENTS)
def _text(sql: str) -> TextClause:
    return text(sql)


@lru_cache(maxsize=_STATEMENTS)
def _page_statement(ids: str) -> Select[Any]:
    page_ids = text(ids).columns(column("id", Integer), column("tier", Integer)).subquery("page")
    return (
        select(recipe_table, page_ids.c.tier.label("search_tier"))
        .join(page_ids, page_ids.c.id == _c.id)
        .order_by(page_ids.c.tier, _c.id.desc())
    )


# The page's ids when no tier is read.
_NOTHING = "SELECT NULL::integer AS id, NULL::integer AS tier WHERE false"


def _few_sql(
    statement: _Statement,
    query: SearchQuery,
    tiers: Sequence[Tier],
    everything: Matches,
    *,
    start: int,
    after: int | None,
) -> str:
    # Without a LIMIT beside an ORDER BY id, the planner has no reason to walk
    # the id index hoping to meet matches soon: it reads the bitmap (a rare
    # word's statistics are the default guess, which made it walk 100,000 rows
    # for "quince" at 100k, 600 ms per tier).
    cases = " ".join(
        f"WHEN {' AND '.join(_tier_conditions(statement, query, tier, filters=False)) or 'true'}"
        f" THEN {number}"
        for number, tier in enumerate(tiers)
        if number >= start and not tier.empty
    )
    if not cases:
        return _NOTHING
    conditions = [statement.matches(everything), *_filters(statement, query)]
    where = "tier IS NOT NULL"
    if after is not None:
        statement.params.update(start=start, after=after)
        where += " AND (tier > :start OR (tier = :start AND id < :after))"
    return (
        f"SELECT id, tier FROM (SELECT id, CASE {cases} END AS tier FROM recipe"
        f"{_where(conditions)}) AS ranked WHERE {where} ORDER BY tier, id DESC LIMIT :limit"
    )


def _driver(statement: _Statement, tier: Tier) -> str | None:
    """A condition the tier implies that an index answers with fewer rows than its own.

    "In name and ingredients, not all in the name" implies a word in the
    ingredients; "anywhere, not in name and ingredients", a word in the rest.
    Given as well, it lets the bitmap start from that column alone.
    """
    if not isinstance(tier.include, Words):
        return None
    vectors = set(_VECTORS[tier.include.fields])
    for excluded in tier.exclude:
        if isinstance(excluded, Words) and excluded.groups == tier.include.groups:
            vectors -= set(_VECTORS[excluded.fields])
    if not vectors or vectors == set(_VECTORS[tier.include.fields]):
        return None
    tests = [
        f"{vector} @@ {statement.group(alternatives)}"
        for alternatives in tier.include.groups
        for vector in sorted(vectors)
    ]
    return "(" + " OR ".join(tests) + ")"


def _tiers_sql(
    statement: _Statement,
    query: SearchQuery,
    tiers: Sequence[Tier],
    *,
    start: int,
    after: int | None,
) -> str:
    """Each tier in two parts: among the newest ``WINDOW`` recipes, then from the indexes.

    The planner's guess of a tier's density is poor (a rare word gets a default
    estimate; a NOT of a common word looks common): left to choose, it walked
    the id index through every recipe for an absent tier (600 ms at 100k). So
    each tier first filters the newest recipes, newest first (a common tier fills
    the page there and stops), and only then, if the page is not full, reads
    the older matches through the GIN indexes and sorts them (a tier rare among
    the newest recipes is rare). The page's LIMIT stops both parts early.
    """
    statement.params.update(window=WINDOW, wider=WIDER_WINDOW)
    branches: list[str] = []
    ctes: list[str] = []
    floor_ctes: dict[str, str] = {}
    for number in range(start, len(tiers)):
        if tiers[number].empty:
            continue
        conditions = _tier_conditions(statement, query, tiers[number])
        # The newest recipes are walked, each tested: the per-column form (see matches).
        walked = _tier_conditions(statement, query, tiers[number], walk=True)
        bound = ""
        if number == start and after is not None:
            bound = " WHERE id < :after"
            statement.params["after"] = after
        if tiers[number].name in ("exact", "starts"):
            # A name or its start: few rows, straight from ix_recipe_label_lower
            # (filtering 2,000 newest rows for them cost 2 of chicken's 39 ms... per tier).
            by_name = [*conditions, *(["id < :after"] if bound else [])]
            branches.append(
                f"(SELECT id, {number} AS tier FROM recipe{_where(by_name)}"
                " ORDER BY id DESC LIMIT :limit)"
            )
            continue
        newest = f"(SELECT * FROM recipe{bound} ORDER BY id DESC LIMIT :window)"
        # The lowest id of the window and of the wider one: the same for every tier
        # but the first of a later page (which starts after its cursor), so each
        # is a CTE computed once, when a tier first asks for it.
        floors = "window_floor_after" if bound else "window_floor"
        if floors not in floor_ctes:
            floor_ctes[floors] = (
                f"{floors} AS MATERIALIZED (SELECT min(id) AS id FROM (SELECT id FROM recipe"
                f"{bound} ORDER BY id DESC LIMIT :window) AS newest_ids), "
                f"wider_{floors} AS MATERIALIZED (SELECT min(id) AS id FROM (SELECT id"
                f" FROM recipe WHERE id < (SELECT id FROM {floors}) ORDER BY id DESC"
                " LIMIT :wider) AS wider_ids)"
            )
        floor = f"(SELECT id FROM {floors})"
        wider_floor = f"(SELECT id FROM wider_{floors})"
        # The next WIDER_WINDOW recipes, walked only when the newest held some of
        # the tier's matches but not a page: "minced" within 10 minutes found 16 of
        # 21 there, and the bitmap of the word's 312,000 recipes cost 500 ms for 5.
        wider = f"(SELECT * FROM recipe WHERE id < {floor} ORDER BY id DESC LIMIT :wider)"
        in_newest = f"tier_{number}_newest"
        ctes.append(
            f"{in_newest} AS MATERIALIZED (SELECT id FROM {newest} AS newest"
            f"{_where(walked)} ORDER BY id DESC)"
        )
        # Worth walking when the newest held enough that ten times as many rows
        # likely fill the page: "tofu curry" (606 matches, 2 among the newest)
        # read 20,000 rows for 16 of them (55 ms), its bitmap costs 13.
        statement.params["widen"] = WIDER_WINDOW // WINDOW
        dense = f"(SELECT count(*) FROM {in_newest}) * :widen >= :limit"
        driver = _driver(statement, tiers[number])
        # id + 0: checked on each row the other conditions' bitmaps give, never a
        # bitmap of its own (its guess, a third of the table, put a 460 ms scan of
        # the primary key into the BitmapAnd of "vegan ready within 10 minutes").
        older = [
            *conditions,
            *([driver] if driver else []),
            f"id + 0 < CASE WHEN {dense} THEN {wider_floor} ELSE {floor} END",
        ]
        branches.append(
            f"(SELECT id, {number} AS tier FROM ("
            # A CTE is read in the order it was written: newest first.
            f"(SELECT id FROM {in_newest})"
            f" UNION ALL (SELECT id FROM {wider} AS wider"
            f"{_where([*walked, dense])} ORDER BY id DESC)"
            # id + 0: not the id index's order, so the planner reads the bitmap.
            f" UNION ALL (SELECT id FROM recipe{_where(older)} ORDER BY id + 0 DESC)"
            f") AS tier_{number} LIMIT :limit)"
        )
    if not branches:
        return _NOTHING
    ctes = [*floor_ctes.values(), *ctes]
    with_ = f"WITH {', '.join(ctes)} " if ctes else ""
    return f"{with_}SELECT id, tier FROM ({' UNION ALL '.join(branches)}) AS tiers LIMIT :limit"


def count(
    connection: Connection, query: SearchQuery, everything: Matches | None, bound: int
) -> tuple[int, bool]:
    """How many recipes match, counted up to ``bound``; and whether that count is exact."""
    statement = _Statement()
    conditions = _tier_conditions(statement, query, Tier(include=everything))
    statement.params["bound"] = bound
    sql = f"SELECT count(*) FROM (SELECT 1 FROM recipe{_where(conditions)} LIMIT :bound) AS found"
    if everything is None and _tags_within(query) is None:
        # Filters alone (a tag, a cuisine...): first among the newest recipes,
        # where a common filter finds the bound in a few thousand rows (the tag
        # "vegan": 7 to 17 ms, against 130 ms for its GIN bitmap of 134,000 rows);
        # the index count only when those are too few (PostgreSQL runs the
        # ELSE's subquery only then). A tag within N minutes is one GIN key
        # instead (migration 0026): "vegan" within 10 minutes, one recipe in 240,
        # took the ELSE at a million after walking the 10,000 (44 ms of CPU).
        statement.params["count_window"] = COUNT_WINDOW
        sql = (
            f"SELECT CASE WHEN newest.found >= :bound THEN newest.found ELSE ({sql}) END"
            " FROM (SELECT count(*) AS found FROM (SELECT 1 FROM (SELECT * FROM recipe"
            f" ORDER BY id DESC LIMIT :count_window) AS recent{_where(conditions)}"
            " LIMIT :bound) AS counted) AS newest"
        )
    else:
        newest = _walk_newest(connection, statement, query, everything, bound, "1")
        if newest is not None:
            sql = (
                f"SELECT CASE WHEN newest.found >= :bound THEN newest.found ELSE ({sql}) END"
                f" FROM (SELECT count(*) AS found FROM ({newest}) AS counted) AS newest"
            )
    return int(connection.execute(_text(sql), statement.params).scalar_one()), True


def _walk_newest(
    connection: Connection,
    statement: _Statement,
    query: SearchQuery,
    everything: Matches | None,
    bound: int,
    columns: str,
) -> str | None:
    """The first ``bound`` matches among the newest recipes, when several common words fill it.

    Several words, each common ("chicken garlic rice": 3% of the recipes):
    the one GIN scan reads every posting list (a million entries, 150 to 300
    ms) to find a hundred; walking the newest ``COUNT_WINDOW`` recipes with a
    test per column finds them in a few thousand rows. None otherwise; the
    caller reads the index when the walk finds fewer than ``bound`` (the
    vocabulary's estimate was wrong).
    """
    if not (
        everything is not None
        and _one_scan(everything)
        and query.words_only == query
        and _dense(connection, everything, bound)
    ):
        return None
    walked = _tier_conditions(statement, query, Tier(include=everything), walk=True)
    statement.params["count_window"] = COUNT_WINDOW
    return (
        f"SELECT {columns} FROM (SELECT * FROM recipe ORDER BY id DESC LIMIT :count_window)"
        f" AS recent{_where(walked)} LIMIT :bound"
    )


def held_as_typed(connection: Connection, query: SearchQuery, words: Sequence[str]) -> bool:
    """Whether every one of ``words`` (as typed, in any form) is held by a recipe the viewer sees.

    A word the vocabulary lacks may still be in the recipes in another form
    (``tomatos`` is ``tomato`` once stemmed) or in a private recipe: first the
    vocabulary by stem (``ix_recipe_word_english``, migration 0026), then the
    private recipes the viewer may see. Asked of the recipes' own GIN indexes,
    a stem no recipe holds was planned as a walk of the whole table.
    """
    if not words:
        return True
    statement = _Statement()
    statement.params["typed"] = [_alternatives((word,)) for word in words]
    visible = visible_sql(query.viewer, _DIALECT)
    sql = (
        "SELECT coalesce(bool_and(EXISTS (SELECT 1 FROM recipe_word"
        " WHERE to_tsvector('english'::regconfig, word) @@ to_tsquery('english', typed)"
        " AND recipes > 0) OR EXISTS (SELECT 1 FROM recipe WHERE private AND"
        f" {visible} AND {_ONE_VECTOR['all']} @@ to_tsquery('english', typed))), true)"
        " FROM unnest(CAST(:typed AS text[])) AS typed"
    )
    return bool(connection.execute(_text(sql), statement.params).scalar_one())


_DENSITY = text(
    "SELECT word, recipes, (SELECT greatest(reltuples, 1) FROM pg_class"
    " WHERE oid = 'recipe'::regclass) FROM recipe_word WHERE word = ANY(CAST(:words AS text[]))"
)


def _dense(connection: Connection, words: Words, bound: int) -> bool:
    """Whether the newest ``COUNT_WINDOW`` recipes likely hold twice ``bound`` of ``words``.

    From the vocabulary's count of each word (its commonest form), the words
    taken as independent: a guess, which only chooses how the count is read.
    """
    alternatives = sorted({word for group in words.groups for word in group})
    rows = connection.execute(_DENSITY, {"words": alternatives}).all()
    held = {word: int(recipes) for word, recipes, _ in rows}
    if not rows:
        return False
    total = float(rows[0][2])
    density = 1.0
    for group in words.groups:
        density *= max((held.get(word, 0) for word in group), default=0) / total
    return density * COUNT_WINDOW >= 2 * bound


# One array parameter: a typo's few hundred variants bound as one value, not one each.
_VOCABULARY = text(
    "SELECT word, recipes FROM recipe_word WHERE word = ANY(CAST(:words AS text[])) AND recipes > 0"
)


def held_words(connection: Connection, words: Sequence[str]) -> set[str]:
    """Which of ``words`` some recipe of the vocabulary holds (as written, unstemmed)."""
    return set(word_counts(connection, words))


def word_counts(connection: Connection, words: Sequence[str]) -> dict[str, int]:
    """How many recipes hold each of ``words`` as written (unstemmed); absent words left out."""
    if not words:
        return {}
    rows = connection.execute(_VOCABULARY, {"words": list(words)})
    return {word: int(recipes) for word, recipes in rows}


def facet_counts(
    connection: Connection,
    query: SearchQuery,
    everything: Matches | None,
    scan: int,
    bound: int | None = None,
) -> list[tuple[str, str | None, int]]:
    """(facet, value, recipes) over at most ``scan`` matches; the facet ``''``: how many.

    The matches are read as the count reads them (any ``scan`` of them, through
    the indexes), with the three columns the facets need. With ``bound`` (at
    least ``scan``), the same statement is also the search's count: the facet
    ``'total'`` is how many match, counted up to ``bound`` (the website's search
    reads the matches once for both, instead of twice).
    """
    statement = _Statement()
    conditions = _tier_conditions(statement, query, Tier(include=everything))
    statement.params["scan"] = scan
    statement.params["bound"] = scan if bound is None else bound
    columns = "tags, cuisine, category"
    found = f"SELECT {columns} FROM recipe{_where(conditions)} LIMIT :bound"
    newest = _walk_newest(
        connection, statement, query, everything, statement.params["bound"], columns
    )
    if newest is not None:
        # Several common words: the newest matches, walked until the bound (as the
        # count), the one GIN scan only if the window holds fewer. "chicken garlic
        # rice" on the website read every posting list for its facets (28 ms of
        # CPU at a million) where the API's count walked.
        found = (
            f"SELECT * FROM newest WHERE (SELECT count(*) FROM newest) >= :bound"
            f" UNION ALL ({found.replace(' LIMIT :bound', '')}"
            " AND (SELECT count(*) FROM newest) < :bound LIMIT :bound)"
        )
        found = f"newest AS MATERIALIZED ({newest}), found AS MATERIALIZED ({found})"
    else:
        found = f"found AS MATERIALIZED ({found})"
    sql = (
        f"WITH {found}, "
        "matched AS MATERIALIZED (SELECT * FROM found LIMIT :scan) "
        "SELECT 'tag', tag, count(*) FROM matched, jsonb_array_elements_text(tags) AS tag "
        "GROUP BY tag "
        "UNION ALL SELECT 'cuisine', min(cuisine), count(*) FROM matched "
        "WHERE cuisine IS NOT NULL GROUP BY lower(cuisine) "
        "UNION ALL SELECT 'category', min(category), count(*) FROM matched "
        "WHERE category IS NOT NULL GROUP BY lower(category) "
        "UNION ALL SELECT '', NULL, count(*) FROM matched"
        + (" UNION ALL SELECT 'total', NULL, count(*) FROM found" if bound is not None else "")
    )
    rows = connection.execute(_text(sql), statement.params)
    return [(str(kind), value, int(number)) for kind, value, number in rows]
