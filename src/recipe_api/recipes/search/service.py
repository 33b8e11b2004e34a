"""The search's one entry point for both faces: corrected, ranked, counted, paged, bounded, cached.

See ``docs/decisions/0016-word-search.md`` for the ranking and its figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from pydantic import BaseModel
from sqlalchemy import Connection

from recipe_api.db.engine import Database, quick_first
from recipe_api.recipes.cache import Cached, VersionedCache, cached_answer
from recipe_api.recipes.schemas import RecipeSearchResults
from recipe_api.recipes.search import postgresql, sqlite
from recipe_api.recipes.search.query import (
    COUNT_LIMIT,
    TYPO_MIN_LENGTH,
    InvalidSearchCursorError,
    Plan,
    SearchCursor,
    SearchQuery,
    one_edit_variants,
    plan_all_words,
    plan_some_words,
)
from recipe_api.recipes.search.sqlite import ROW_FIELDS

API_PATH = "/api/v1/recipes/search/"
# "Most of your words" tries subsets of the first this many words (20 subsets at most).
SOME_WORDS_FROM = 6
_WORD = re.compile(r"\w+")
T = TypeVar("T")


def corrections_for(connection: Connection, words: tuple[str, ...]) -> dict[str, str]:
    """Each word of 5+ letters that no recipe holds, with the commonest word one edit away."""
    # Only such words are ever corrected, so only they are looked up.
    correctable = [w for w in words if len(w) >= TYPO_MIN_LENGTH and w.isalpha()]
    if not correctable:
        return {}
    backend = sqlite if connection.dialect.name == "sqlite" else postgresql
    held = backend.held_words(connection, correctable)
    unknown = [w for w in correctable if w not in held]
    if not unknown:
        return {}
    variants = {word: one_edit_variants(word) for word in unknown}
    known = backend.held_words(connection, sorted(set().union(*variants.values())))
    candidates = {word: variants[word] & known for word in unknown}
    # Counted only where two or more candidates compete: counting a common word
    # reads its whole list on SQLite (5.5 ms for "chicken" at a million).
    contested = set().union(*(found for found in candidates.values() if len(found) > 1))
    counts = backend.word_counts(connection, sorted(contested)) if contested else {}
    corrections = {}
    for word, found in candidates.items():
        # The most recipes first, then the alphabet: the same answer every time.
        best = max(found, key=lambda v: (counts.get(v, 0), v), default=None)
        if best is not None:
            corrections[word] = best
    return corrections


# The facets read beside the count (the website's search on PostgreSQL): the
# matches they were counted for, and the rows of ``facet_counts``.
FacetRows = dict[str, tuple[object, list[tuple[str, str | None, int]]]]


def _count(
    connection: Connection, query: SearchQuery, plan: Plan, facets: FacetRows | None = None
) -> tuple[int, bool]:
    """The matches counted up to one past ``COUNT_LIMIT``, and whether the count is exact.

    Not exact: a floor (SQLite, with filters, looks at the newest matches only).
    With ``facets`` (PostgreSQL), one statement reads the matches for the count
    and the facets, and leaves the facets' rows there.
    """
    if facets is not None and connection.dialect.name != "sqlite":
        rows = postgresql.facet_counts(
            connection, query, plan.everything, FACET_SCAN, bound=COUNT_LIMIT + 1
        )
        facets["rows"] = (plan.everything, rows)
        return next(number for kind, _, number in rows if kind == "total"), True
    backend = sqlite if connection.dialect.name == "sqlite" else postgresql
    counted: tuple[int, bool] = backend.count(connection, query, plan.everything, COUNT_LIMIT + 1)
    return counted


def _plan(
    connection: Connection,
    query: SearchQuery,
    cursor: SearchCursor | None,
    facets: FacetRows | None = None,
) -> tuple[Plan, tuple[int, bool]]:
    words = query.words
    if query.keyword is not None and not words:
        # Punctuation only: no word to look for, so nothing matches.
        return Plan(tiers=(), everything=None), (0, True)
    if cursor is not None and cursor.mode != "all":
        how_many = int(cursor.mode.removeprefix("some:"))
        if how_many >= min(len(words), SOME_WORDS_FROM):
            raise InvalidSearchCursorError("The cursor is not one this search gave out")
        plan = plan_some_words(words[:SOME_WORDS_FROM], how_many)
        return plan, _count(connection, query, plan, facets)
    corrections = corrections_for(connection, words) if words else {}
    # A typo's exact-spelling tiers cost a walk of the newest recipes each (three
    # of "chiken"'s at a million, finding nothing): read only when some recipe
    # holds every corrected word as typed, in one of its forms.
    as_typed_absent = (
        bool(corrections)
        and connection.dialect.name != "sqlite"
        and not postgresql.held_as_typed(connection, query, sorted(corrections))
    )
    plan = plan_all_words(words, corrections, as_typed_absent=as_typed_absent)
    total = _count(connection, query, plan, facets)
    if total == (0, True) and len(words) > 1 and cursor is None:
        # Nothing has every word: the recipes with the most of them.
        for how_many in range(min(len(words), SOME_WORDS_FROM) - 1, 0, -1):
            fewer = plan_some_words(words[:SOME_WORDS_FROM], how_many)
            found = _count(connection, query, fewer, facets)
            if found != (0, True):
                return fewer, found
    return plan, total


def _page(
    connection: Connection,
    query: SearchQuery,
    plan: Plan,
    cursor: SearchCursor | None,
    limit: int,
    total: int,
) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
    """The page's (tier, row) pairs, at most ``limit``; and whether there is a next page."""
    start, after = (0, None) if cursor is None else (cursor.tier, cursor.after)
    if start >= len(plan.tiers):
        raise InvalidSearchCursorError("The cursor is not one this search gave out")
    # One more than the page tells whether there is a next one.
    if connection.dialect.name != "sqlite":
        few = plan.everything if total <= COUNT_LIMIT else None
        rows = postgresql.page(
            connection, query, plan.tiers, start=start, after=after, limit=limit + 1, few=few
        )
        # The answer's fields in its order, as SQLite's rows are.
        page = [(tier, {name: row[name] for name in ROW_FIELDS}) for tier, row in rows[:limit]]
        return page, len(rows) > limit
    found = sqlite.page_ids(
        connection, query, plan.tiers, start=start, after=after, limit=limit + 1
    )
    # The rows of the page only: the id past it is all the next page needs.
    by_id = sqlite.recipes_by_id(connection, [row_id for _, row_id in found[:limit]])
    page = [(tier, by_id[row_id]) for tier, row_id in found[:limit] if row_id in by_id]
    return page, len(found) > limit


def _api_next(query: SearchQuery, limit: int, token: str) -> str:
    params = {
        "keyword": query.keyword,
        "tag": query.tag,
        "ingredient": query.ingredient,
        "max_total_minutes": query.max_total_minutes,
        "max_results": limit,
        "cursor": token,
    }
    return API_PATH + "?" + urlencode({k: v for k, v in params.items() if v is not None})


def _search_fields(
    connection: Connection,
    query: SearchQuery,
    limit: int,
    cursor: SearchCursor | None,
    facets: FacetRows | None = None,
) -> tuple[dict[str, Any], Plan]:
    """The fields of a :class:`RecipeSearchResults`, in its order, as the database typed them."""
    plan, (total, exact) = _plan(connection, query, cursor, facets)
    found, more = (
        _page(connection, query, plan, cursor, limit, total) if total or not exact else ([], False)
    )
    next_cursor = None
    if more and found:
        tier, last = found[-1]
        next_cursor = SearchCursor(tier=tier, after=last["id"], mode=plan.mode).encode()
    words = query.words
    did_you_mean = None
    if plan.corrections:
        typed = _WORD.findall((query.keyword or "").casefold())
        did_you_mean = " ".join(plan.corrections.get(word, word) for word in typed)
    fields = {
        "results": [row for _, row in found],
        "total": min(total, COUNT_LIMIT),
        "total_is_exact": exact and total <= COUNT_LIMIT,
        "words": list(words),
        "words_matched": (
            len(words) if plan.mode == "all" else int(plan.mode.removeprefix("some:"))
        ),
        "did_you_mean": did_you_mean,
        "next_cursor": next_cursor,
        "next": None if next_cursor is None else _api_next(query, limit, next_cursor),
    }
    return fields, plan


@quick_first
def _search(
    connection: Connection, query: SearchQuery, limit: int, cursor: SearchCursor | None
) -> RecipeSearchResults:
    return RecipeSearchResults.model_validate(_search_fields(connection, query, limit, cursor)[0])


# The answer's JSON as pydantic writes a RecipeSearchResults (decision 0032):
# UTC as "Z", key order the model's, strings as UTF-8.
JSON_OPTIONS = orjson.OPT_UTC_Z


@quick_first
def _search_json(
    connection: Connection, query: SearchQuery, limit: int, cursor: SearchCursor | None
) -> bytes:
    """The API's answer, written straight from the rows: the same bytes as the model's JSON.

    The rows are the database's own values, typed as the model's fields
    (``recipes_by_id``): validating them again and then serialising the
    model cost more than writing them.
    """
    return orjson.dumps(_search_fields(connection, query, limit, cursor)[0], option=JSON_OPTIONS)


# Facets count the values of at most this many matches (the count's bound): a
# million recipes with "salt" cost no more than a thousand.
FACET_SCAN = COUNT_LIMIT
# The commonest values shown per facet.
FACET_VALUES = 12


class FacetValue(BaseModel):
    value: str
    recipes: int


class Facets(BaseModel):
    """How many of the matches hold each tag, cuisine and category (the commonest first)."""

    tags: list[FacetValue] = []
    cuisines: list[FacetValue] = []
    categories: list[FacetValue] = []
    # How many matches were counted, and whether that is every match.
    counted: int = 0
    exact: bool = True


class SearchPage(BaseModel):
    """The website's search: a page of results and the facets of all the matches."""

    found: RecipeSearchResults
    facets: Facets


def facets_of(
    connection: Connection,
    query: SearchQuery,
    plan: Plan,
    found: tuple[int, bool],
    read: FacetRows | None = None,
) -> Facets:
    """The facets of the plan's matches, counted over at most ``FACET_SCAN`` of them.

    ``found``: the search's count and whether it is exact. The facets are
    exact when it is (and within the bound): then every match was counted.
    ``read``: the facets the count already read, used when they are the plan's.
    """
    total, total_is_exact = found
    if query.keyword is not None and not plan.tiers:
        return Facets()
    counted_for, rows = (read or {}).get("rows", (None, []))
    if not rows or counted_for != plan.everything:
        backend = sqlite if connection.dialect.name == "sqlite" else postgresql
        rows = backend.facet_counts(connection, query, plan.everything, FACET_SCAN)
    by_kind: dict[str, list[FacetValue]] = {"tag": [], "cuisine": [], "category": []}
    counted = 0
    for kind, value, recipes in rows:
        if kind == "":
            counted = recipes
        elif kind in by_kind and value:
            by_kind[kind].append(FacetValue(value=value, recipes=recipes))
    for values in by_kind.values():
        values.sort(key=lambda v: (-v.recipes, v.value.casefold(), v.value))
    return Facets(
        tags=by_kind["tag"][:FACET_VALUES],
        cuisines=by_kind["cuisine"][:FACET_VALUES],
        categories=by_kind["category"][:FACET_VALUES],
        counted=counted,
        exact=total_is_exact and total <= FACET_SCAN and counted == total,
    )


@quick_first
def _search_page(
    connection: Connection, query: SearchQuery, limit: int, cursor: SearchCursor | None
) -> SearchPage:
    read: FacetRows = {}
    fields, plan = _search_fields(connection, query, limit, cursor, read)
    found = RecipeSearchResults.model_validate(fields)
    return SearchPage(found=found, facets=_page_facets(connection, query, plan, fields, read))


def _page_facets(
    connection: Connection,
    query: SearchQuery,
    plan: Plan,
    fields: dict[str, Any],
    read: FacetRows,
) -> Facets:
    """The facets of a search page (none when it found nothing) from its fields."""
    if not fields["results"]:
        return Facets()
    counted = (fields["total"], fields["total_is_exact"])
    return facets_of(connection, query, plan, counted, read)


@quick_first
def _search_page_json(
    connection: Connection, query: SearchQuery, limit: int, cursor: SearchCursor | None
) -> bytes:
    """``_search_page`` as the JSON the answer cache keeps: the same bytes as the model's.

    Written straight from the rows, as ``_search_json`` writes the API's
    answer, where the search runs: in the search process the bytes cross to
    the worker, which no longer unpickles a tree of models only to write it
    out on its event loop.
    """
    read: FacetRows = {}
    fields, plan = _search_fields(connection, query, limit, cursor, read)
    facets = _page_facets(connection, query, plan, fields, read)
    return orjson.dumps({"found": fields, "facets": facets.model_dump()}, option=JSON_OPTIONS)


async def search_recipes(
    db: Database,
    query: SearchQuery,
    *,
    limit: int,
    cursor: str | None = None,
    time_limit: float = 1.0,
) -> RecipeSearchResults:
    """A page of the recipes matching ``query``, best first; stopped after ``time_limit`` s."""
    return await _read(db, _search, query, limit, cursor, time_limit)


async def _read(
    db: Database,
    unit: Callable[[Connection, SearchQuery, int, SearchCursor | None], T],
    query: SearchQuery,
    limit: int,
    cursor: str | None,
    time_limit: float,
) -> T:
    after = None if cursor is None else SearchCursor.decode(cursor)
    if after is None and query.is_empty:
        # The newest recipes: a plain read, never queued behind searches.
        return await db.read(unit, query, limit, after)
    return await db.read_bounded(unit, time_limit, query, limit, after)


async def search_answer(
    db: Database,
    cache: VersionedCache,
    query: SearchQuery,
    *,
    limit: int,
    cursor: str | None = None,
    time_limit: float = 1.0,
) -> Cached:
    """The search's JSON answer and its ETag, built once per version of the recipes."""

    async def build() -> bytes:
        return await _read(db, _search_json, query, limit, cursor, time_limit)

    return await cached_answer(db, cache, ("search", query, limit, cursor), build)


async def search_page_answer(
    db: Database,
    cache: VersionedCache,
    query: SearchQuery,
    *,
    limit: int,
    cursor: str | None = None,
    time_limit: float = 1.0,
) -> Cached:
    """The website's search (a :class:`SearchPage` as JSON), built once per recipes version."""

    async def build() -> bytes:
        after = None if cursor is None else SearchCursor.decode(cursor)
        return await db.read_bounded(_search_page_json, time_limit, query, limit, after)

    return await cached_answer(db, cache, ("search page", query, limit, cursor), build)
