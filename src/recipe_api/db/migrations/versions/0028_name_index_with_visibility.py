"""SQLite: the name index holds what the search's visibility check reads (``private``, the cook).

See ``docs/decisions/0036-search-cpu-at-4x.md``.

The search's first two tiers (the exact name, the names starting with the
words) read a range of ``ix_recipe_label_nocase`` (migration 0012) and then
each row it names, only for ``private`` and ``submitter_id`` (who may see
it): 126 rows for "chicken" at a thousand recipes, every one a lookup in the
table. ``ix_recipe_label_nocase_visible`` is the same index with those two
columns after the name, so both tiers read the index alone, for a visitor
(``private = 0``), a cook (``private = 0 OR submitter_id = N``) and a
superuser alike. It replaces the old index: every query that used it (a
range or an equality on the name without case) is served by the new one's
first column.

PostgreSQL: nothing (its name tiers read ``ix_recipe_label_lower``).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_SQLITE_UP = [
    "CREATE INDEX ix_recipe_label_nocase_visible ON recipe"
    " (label COLLATE NOCASE, private, submitter_id)",
    "DROP INDEX IF EXISTS ix_recipe_label_nocase",
]
_SQLITE_DOWN = [
    "CREATE INDEX ix_recipe_label_nocase ON recipe (label COLLATE NOCASE)",
    "DROP INDEX IF EXISTS ix_recipe_label_nocase_visible",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
