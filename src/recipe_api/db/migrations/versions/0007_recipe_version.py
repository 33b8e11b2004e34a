"""A version number of the recipes, bumped by triggers on every write to ``recipe``.

Answers built from many recipes (the home page, search answers) are cached
by each worker and kept only while this number stays the same: one cheap read
per request tells every worker, on one machine or several, that any recipe
was added, changed or deleted, whichever worker or command wrote it (see
``docs/decisions/0008-benchmark-yardstick.md``).

* SQLite: row triggers after INSERT, UPDATE and DELETE on ``recipe``.
* PostgreSQL: one statement trigger after INSERT, UPDATE, DELETE or TRUNCATE.

The bump is in the writing transaction, so a reader sees the new version no
earlier than the rows it stands for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BUMP = "UPDATE recipe_version SET version = version + 1 WHERE id = 1"

_SQLITE_UP = [
    f"CREATE TRIGGER recipe_version_{event.lower()} AFTER {event} ON recipe BEGIN {_BUMP}; END"
    for event in ("INSERT", "UPDATE", "DELETE")
]
_SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS recipe_version_{event}" for event in ("insert", "update", "delete")
]

_POSTGRES_UP = [
    "CREATE FUNCTION recipe_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_BUMP}; RETURN NULL; END $$",
    "CREATE TRIGGER recipe_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON recipe "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_version_bump()",
]
_POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS recipe_version_bump ON recipe",
    "DROP FUNCTION IF EXISTS recipe_version_bump()",
]


def upgrade() -> None:
    op.create_table(
        "recipe_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_version")),
    )
    # Microseconds since the epoch: a database made anew starts above any version a
    # worker may still hold from the one it replaces.
    op.execute(f"INSERT INTO recipe_version (id, version) VALUES (1, {time.time_ns() // 1000})")
    statements = _SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = _SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_table("recipe_version")
