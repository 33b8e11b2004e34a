"""Indexes for several words and for "ready within N minutes" at a million recipes.

See ``docs/decisions/0018-search-facets-and-speed.md`` (the section on 0023).

* PostgreSQL: one GIN index on the whole recipe's words, the expression
  ``search_name || search_ingredient_words || search_other`` (nothing stored
  in the table: the three columns of 0012 are concatenated). "Every word
  anywhere" is then one index scan whose posting lists GIN intersects itself,
  instead of a BitmapAnd of one BitmapOr of three indexes per word (808 ms for
  the count of "chicken garlic rice" at a million rows).
* Both: a b-tree on ``total_minutes``, so "ready within N minutes" is read
  from an index (a bitmap beside the words' or the tag's) instead of being
  checked on every recipe holding a common word.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# The expression the search's queries repeat word for word (recipes/search/postgresql.py).
PG_ALL_WORDS = "(search_name || search_ingredient_words || search_other)"

_PG_UP = [
    f"CREATE INDEX ix_recipe_search_all ON recipe USING gin ({PG_ALL_WORDS})",
    "CREATE INDEX ix_recipe_total_minutes ON recipe (total_minutes)",
]
_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_recipe_total_minutes",
    "DROP INDEX IF EXISTS ix_recipe_search_all",
]
_SQLITE_UP = ["CREATE INDEX ix_recipe_total_minutes ON recipe (total_minutes)"]
_SQLITE_DOWN = ["DROP INDEX IF EXISTS ix_recipe_total_minutes"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_UP if sqlite else _PG_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DOWN if sqlite else _PG_DOWN:
        op.execute(statement)
