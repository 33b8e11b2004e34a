"""What a search asks for, checked once for both faces, and the ranked tiers it is read in.

A search is words (any order, stop words dropped, each word in any of its
forms: the stemmers of ``docs/decisions/0016-word-search.md``) and filters.
Its matches are read tier by tier, best first; each tier newest first (by
id). The tiers are disjoint, so a page is "the rest of tier t after recipe
``after``, then the tiers below", and a cursor is ``(tier, after)``.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from recipe_api.errors import AppError
from recipe_api.recipes.schemas import normalize_tag
from recipe_api.recipes.visibility import ANONYMOUS, Viewer
from recipe_api.schemas import MAX_ID
from recipe_api.users.schemas import UserOut

# "More than N" above this: an exact count of a word in a third of a million
# recipes costs more than the page. 100, not 1,000 (decision 0025): the count of
# three common words or of a common word within N minutes reads a tenth as much
# (PostgreSQL at a million: 150 to 300 ms down to 5 to 20, on a loaded machine).
COUNT_LIMIT = 100
# "Ready within N minutes": N from 0 to this.
MAX_TOTAL_MINUTES = 100_000
# Words after the first ten are ignored (the "most of your words" fallback
# tries subsets of them).
MAX_WORDS = 10
# A typo is looked for in words this long or longer (shorter ones have too
# many neighbours one edit away: "rice", "ride", "rise").
TYPO_MIN_LENGTH = 5

# PostgreSQL's english stop words (snowball), so that both databases drop the same.
STOP_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
    ]
)
_WORD = re.compile(r"\w+")


class InvalidSearchCursorError(AppError):
    status_code = 400


class InvalidSearchError(ValueError):
    """A search the rules refuse, said for a person."""


def words_of(text: str) -> tuple[str, ...]:
    """The words a search looks for: case-folded, stop words dropped, each once.

    A query made only of stop words keeps them ("how to" is still a search).
    """
    found = list(dict.fromkeys(_WORD.findall(text.casefold())))
    kept = [word for word in found if word not in STOP_WORDS]
    return tuple((kept or found)[:MAX_WORDS])


def one_edit_variants(word: str) -> set[str]:
    """Every string one deletion, swap of neighbours, replacement or insertion away."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return (deletes | swaps | replaces | inserts) - {word}


def _checked_minutes(value: int | str | None) -> int | None:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        # isdigit alone takes "²", which int() refuses.
        value = int(text) if text.isascii() and text.isdigit() else -1
    if value is not None and not 0 <= value <= MAX_TOTAL_MINUTES:
        raise InvalidSearchError(f"Ready within: a number of minutes, 0 to {MAX_TOTAL_MINUTES:,}.")
    return value


@dataclass(frozen=True)
class SearchQuery:
    """Words and filters; every part optional (none: the newest recipes)."""

    keyword: str | None = None
    tag: str | None = None
    cuisine: str | None = None
    category: str | None = None
    ingredient: str | None = None
    without_ingredient: str | None = None
    max_total_minutes: int | None = None
    # Whom the answer is for: every statement of both backends keeps to what
    # they may see, and a cached answer is keyed by it (the query is the key).
    viewer: Viewer = ANONYMOUS

    @property
    def words(self) -> tuple[str, ...]:
        return () if self.keyword is None else words_of(self.keyword)

    @property
    def is_empty(self) -> bool:
        """No words nor filters (whoever asks)."""
        return (
            self.keyword is None
            and self.tag is None
            and self.cuisine is None
            and self.category is None
            and self.ingredient is None
            and self.without_ingredient is None
            and self.max_total_minutes is None
        )

    @property
    def words_only(self) -> SearchQuery:
        """The same words for the same viewer, without the filters."""
        return SearchQuery(keyword=self.keyword, viewer=self.viewer)

    def for_viewer(self, user: UserOut | Viewer | None) -> SearchQuery:
        return replace(self, viewer=Viewer.of(user))

    @classmethod
    def checked(
        cls,
        *,
        keyword: str | None = None,
        tag: str | None = None,
        cuisine: str | None = None,
        category: str | None = None,
        ingredient: str | None = None,
        without_ingredient: str | None = None,
        max_total_minutes: int | str | None = None,
    ) -> SearchQuery:
        """The query from what a client typed; the rules the API's parameters also declare.

        Blank values are absent; the keyword and ingredients are 3 to 256
        characters, the others 1 to 256 (a tag 64); a tag is normalised as
        stored; the minutes (a number, or the digits a form sent) 0 to
        ``MAX_TOTAL_MINUTES``. Raises :class:`InvalidSearchError` with a
        sentence for a person.
        """

        def clean(value: str | None, name: str, shortest: int, longest: int = 256) -> str | None:
            value = " ".join((value or "").split())
            if not value:
                return None
            if "\x00" in value or not shortest <= len(value) <= longest:
                if name == "search":
                    raise InvalidSearchError("Type at least 3 characters (and at most 256).")
                raise InvalidSearchError(
                    f"The {name} must be {shortest} to {longest} characters long."
                )
            return value

        checked_tag = clean(tag, "tag", 1, 64)
        return cls(
            keyword=clean(keyword, "search", 3),
            tag=None if checked_tag is None else normalize_tag(checked_tag),
            cuisine=clean(cuisine, "cuisine", 1),
            category=clean(category, "category", 1),
            ingredient=clean(ingredient, "ingredient", 3),
            without_ingredient=clean(without_ingredient, "ingredient to leave out", 3),
            max_total_minutes=_checked_minutes(max_total_minutes),
        )


@dataclass(frozen=True)
class SearchCursor:
    """Where a page ended: the tier, the last recipe's id, and which reading of the words."""

    tier: int
    after: int
    mode: str  # "all", or "some:<k>" for the recipes with k of the words

    def encode(self) -> str:
        raw = json.dumps([self.tier, self.after, self.mode]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> SearchCursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            tier, after, mode = json.loads(raw)
            if not (
                isinstance(tier, int)
                and isinstance(after, int)
                # An id past the column's range would fail in the query, not here.
                and 0 <= after <= MAX_ID
                and isinstance(mode, str)
                and 0 <= tier < 16
                and (mode == "all" or re.fullmatch(r"some:[1-9]", mode))
            ):
                raise ValueError(token)
            return cls(tier=tier, after=after, mode=mode)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidSearchCursorError("The cursor is not one this search gave out") from exc


Fields = Literal["label", "label ingredients", "all"]
# A word with the spellings it may take: itself, and a correction when it has one.
Alternatives = tuple[str, ...]


@dataclass(frozen=True)
class Words:
    """Recipes holding every word group (any of its alternatives) within ``fields``."""

    fields: Fields
    groups: tuple[Alternatives, ...]


@dataclass(frozen=True)
class AnyOf:
    """Recipes matching any of ``options``."""

    options: tuple[Words, ...]


Matches = Words | AnyOf
NameRule = Literal["exact", "starts", "not_starts"] | None


@dataclass(frozen=True)
class Tier:
    """One rank: ``include`` minus every ``exclude``, with a rule on the whole name.

    ``empty``: known to hold nothing, so not read (kept in its place, so that a
    cursor's tier numbers mean the same on every page).
    """

    include: Matches | None
    exclude: tuple[Matches, ...] = ()
    name: NameRule = None
    empty: bool = False


@dataclass(frozen=True)
class Plan:
    tiers: tuple[Tier, ...]
    # Every match of every tier: what is counted.
    everything: Matches | None
    mode: str = "all"
    corrections: dict[str, str] = field(default_factory=dict)


def _over(fields: Fields, groups: tuple[Alternatives, ...]) -> Words:
    return Words(fields=fields, groups=groups)


def plan_all_words(
    words: tuple[str, ...], corrections: dict[str, str], *, as_typed_absent: bool = False
) -> Plan:
    """The tiers for recipes with every word, best first.

    The exact name, names starting with the words, all words in the name,
    in name and ingredients, anywhere; then the same three with the typos
    corrected, below every exact-spelling match. ``as_typed_absent``: no
    recipe holds the words as typed (a typo's usual case), so the tiers of the
    exact spelling are empty, and the corrected ones need not exclude them.
    """
    if not corrections:
        return _plan_as_typed(words)
    return _plan_all_words(words, corrections, as_typed_absent=as_typed_absent)


@lru_cache(maxsize=512)
def _plan_as_typed(words: tuple[str, ...]) -> Plan:
    """The plan of words without corrections, made once per words (9 µs a search).

    Shared by every search of those words: a plan is never changed once made.
    """
    return _plan_all_words(words, {})


def _plan_all_words(
    words: tuple[str, ...], corrections: dict[str, str], *, as_typed_absent: bool = False
) -> Plan:
    if not words:
        return Plan(tiers=(Tier(include=None),), everything=None)
    exact = tuple((word,) for word in words)
    name = _over("label", exact)
    name_ingredients = _over("label ingredients", exact)
    anywhere = _over("all", exact)
    tiers = [
        Tier(include=name, name="exact"),
        Tier(include=name, name="starts"),
        Tier(include=name, name="not_starts"),
        Tier(include=name_ingredients, exclude=(name,)),
        Tier(include=anywhere, exclude=(name_ingredients,)),
    ]
    everything: Matches = anywhere
    if corrections:
        fixed = tuple(
            (word, corrections[word]) if word in corrections else (word,) for word in words
        )
        fixed_name = _over("label", fixed)
        fixed_name_ingredients = _over("label ingredients", fixed)
        fixed_anywhere = _over("all", fixed)
        typed: tuple[Matches, ...] = (anywhere,)
        if as_typed_absent:
            tiers = [replace(tier, empty=True) for tier in tiers]
            typed = ()
        tiers += [
            Tier(include=fixed_name, exclude=typed),
            Tier(include=fixed_name_ingredients, exclude=(fixed_name, *typed)),
            Tier(include=fixed_anywhere, exclude=(fixed_name_ingredients, *typed)),
        ]
        everything = fixed_anywhere
    return Plan(tiers=tuple(tiers), everything=everything, corrections=corrections)


def plan_some_words(words: tuple[str, ...], how_many: int) -> Plan:
    """The tiers for recipes with ``how_many`` of the words: all of those in the name first."""
    subsets = [tuple((w,) for w in chosen) for chosen in itertools.combinations(words, how_many)]
    in_name = AnyOf(tuple(_over("label", groups) for groups in subsets))
    anywhere = AnyOf(tuple(_over("all", groups) for groups in subsets))
    return Plan(
        tiers=(Tier(include=in_name), Tier(include=anywhere, exclude=(in_name,))),
        everything=anywhere,
        mode=f"some:{how_many}",
    )
