"""SQLite: the ingredients' words alone (``recipe_ingredient_words_fts``), to skip an empty tier.

See ``docs/decisions/0025-search-at-a-million.md`` (2026-12-07, evening).

The tier "every word in the name and ingredients, not all in the name" is a
column filter on the whole recipe's index (``recipe_search_fts``), which
reads every match of each word, wherever it is, to find those in the name or
ingredients. A word common elsewhere and in no name or ingredient line
("vegan", in the tags of one recipe in eight) made that tier read 134,000
matches to find none: 19 of its search's 23 ms at a million.

This index holds each recipe's ingredient words (the ``porter`` tokenizer of
the search index), positions and columns left out (``detail=none``): it only
answers whether any recipe has a word in its ingredients. With the names'
index (migration 0025) it tells the search, in a few lookups, when some word
is in no name and no ingredient list of any recipe, and so the tier is empty.
It holds every recipe, private ones too: an answer of "somewhere" only means
the tier is read as before.

PostgreSQL: nothing (its tiers read per-column GIN indexes).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_FTS = "recipe_ingredient_words_fts"
# The ingredient lines of a recipe row named {r}, as the search index's second column.
_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({r}.ingredients))"


def _insert(row: str) -> str:
    return f"INSERT INTO {_FTS} (rowid, ingredients) SELECT {row}.id, {_LINES.format(r=row)};"


def _delete(row: str) -> str:
    # A contentless table forgets a row only when given the values it indexed.
    return (
        f"INSERT INTO {_FTS} ({_FTS}, rowid, ingredients) "
        f"SELECT 'delete', {row}.id, {_LINES.format(r=row)};"
    )


_SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5(ingredients, content='', "
    "tokenize='porter unicode61 remove_diacritics 2', detail=none)",
    f"INSERT INTO {_FTS} (rowid, ingredients) SELECT recipe.id, {_LINES.format(r='recipe')}"
    " FROM recipe",
    # The name demo.py's bulk load looks for (it fills the table itself).
    f"CREATE TRIGGER recipe_ingredient_words_insert AFTER INSERT ON recipe BEGIN "
    f"{_insert('new')} END",
    f"CREATE TRIGGER recipe_ingredient_words_delete AFTER DELETE ON recipe BEGIN "
    f"{_delete('old')} END",
    f"CREATE TRIGGER recipe_ingredient_words_update AFTER UPDATE OF ingredients ON recipe BEGIN "
    f"{_delete('old')} {_insert('new')} END",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS recipe_ingredient_words_update",
    "DROP TRIGGER IF EXISTS recipe_ingredient_words_delete",
    "DROP TRIGGER IF EXISTS recipe_ingredient_words_insert",
    f"DROP TABLE IF EXISTS {_FTS}",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
