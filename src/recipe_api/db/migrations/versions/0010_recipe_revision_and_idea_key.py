"""A revision number per recipe, and one recipe per cook and saved idea.

* ``recipe.revision``: every write to the row adds one. An edit made from a
  form updates the row only where the revision is still the one it read
  (``UPDATE ... WHERE id = :id AND revision = :read``), so of two saves of
  the same version exactly one wins; the check and the write are one atomic
  statement on both backends.
* ``recipe.idea_url``: the idea (reddit post) a recipe was saved from, NULL
  for every other recipe. A partial unique index on (submitter_id, idea_url)
  makes a second save of the same idea, however close in time, land on the
  first one's row (``INSERT ... ON CONFLICT DO NOTHING``).

Both columns are added without rewriting the table: a constant default on
PostgreSQL 11+, ``ADD COLUMN`` on SQLite.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SAVED_IDEA = sa.text("idea_url IS NOT NULL")


def upgrade() -> None:
    op.add_column("recipe", sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("recipe", sa.Column("idea_url", sa.Text(), nullable=True))
    op.create_index(
        op.f("ix_recipe_submitter_id_idea_url"),
        "recipe",
        ["submitter_id", "idea_url"],
        unique=True,
        sqlite_where=_SAVED_IDEA,
        postgresql_where=_SAVED_IDEA,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_recipe_submitter_id_idea_url"), table_name="recipe")
    # SQLite 3.35+ drops a column in place (no index or trigger names it).
    op.drop_column("recipe", "idea_url")
    op.drop_column("recipe", "revision")
