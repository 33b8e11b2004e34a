"""Recipe details (description, ingredients, steps, tags, times...), search indexes, a count.

The new columns have defaults, so existing rows stay valid: an empty
description, no ingredients, no steps, no tags, unknown times.

Search (see ``docs/decisions/0009-recipe-details-and-search.md``):

* SQLite: an FTS5 table with the trigram tokenizer (substring matching, any
  case), one column each for the label, the ingredient lines, the tags and the
  description, kept in step by triggers.
* PostgreSQL: pg_trgm GIN indexes on the lower-cased label, the ingredient
  lines, and the description with the tags; a jsonb GIN index for exact tags.

``recipe_count`` holds the number of recipes, kept by triggers, so a page's
``total`` never counts the table.

Downgrade drops all of it; the details are lost, the recipes remain.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

_LINES = sa.JSON().with_variant(JSONB(), "postgresql")

_SQLITE_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({}))"
_SQLITE_FTS_ROW = (
    "INSERT INTO recipe_fts (rowid, label, ingredients, tags, description) "
    f"VALUES (new.id, new.label, {_SQLITE_LINES.format('new.ingredients')}, "
    f"{_SQLITE_LINES.format('new.tags')}, new.description);"
)

_SQLITE_UP = [
    # trigram: every three-character window is a token, so MATCH finds any
    # substring of three characters or more, case-folded.
    "CREATE VIRTUAL TABLE recipe_fts USING fts5("
    "label, ingredients, tags, description, tokenize='trigram')",
    f"CREATE TRIGGER recipe_fts_insert AFTER INSERT ON recipe BEGIN {_SQLITE_FTS_ROW} END",
    "CREATE TRIGGER recipe_fts_delete AFTER DELETE ON recipe BEGIN "
    "DELETE FROM recipe_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER recipe_fts_update AFTER UPDATE OF label, ingredients, tags, description "
    "ON recipe BEGIN DELETE FROM recipe_fts WHERE rowid = old.id; "
    f"{_SQLITE_FTS_ROW} END",
    "INSERT INTO recipe_fts (rowid, label, ingredients, tags, description) "
    f"SELECT id, label, {_SQLITE_LINES.format('ingredients')}, "
    f"{_SQLITE_LINES.format('tags')}, description FROM recipe",
    "CREATE TRIGGER recipe_count_insert AFTER INSERT ON recipe BEGIN "
    "UPDATE recipe_count SET recipes = recipes + 1 WHERE id = 1; END",
    "CREATE TRIGGER recipe_count_delete AFTER DELETE ON recipe BEGIN "
    "UPDATE recipe_count SET recipes = recipes - 1 WHERE id = 1; END",
]

_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS recipe_count_delete",
    "DROP TRIGGER IF EXISTS recipe_count_insert",
    "DROP TRIGGER IF EXISTS recipe_fts_update",
    "DROP TRIGGER IF EXISTS recipe_fts_delete",
    "DROP TRIGGER IF EXISTS recipe_fts_insert",
    "DROP TABLE IF EXISTS recipe_fts",
]

_POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Immutable, so an index can be built on it; the query spells the same expression.
    "CREATE FUNCTION recipe_lines(lines jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT coalesce(string_agg(value, E'\\n'), '') "
    "FROM jsonb_array_elements_text(lines) $$",
    "CREATE INDEX ix_recipe_label_trgm ON recipe USING gin (lower(label) gin_trgm_ops)",
    "CREATE INDEX ix_recipe_ingredients_trgm ON recipe "
    "USING gin (lower(recipe_lines(ingredients)) gin_trgm_ops)",
    "CREATE INDEX ix_recipe_other_trgm ON recipe "
    "USING gin (lower(description || E'\\n' || recipe_lines(tags)) gin_trgm_ops)",
    "CREATE INDEX ix_recipe_tags_gin ON recipe USING gin (tags jsonb_path_ops)",
    # Per statement, with the statement's rows: a bulk insert updates the count once.
    "CREATE FUNCTION recipe_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE recipe_count SET recipes = recipes + (SELECT count(*) FROM inserted) WHERE id = 1; "
    "RETURN NULL; END $$",
    "CREATE FUNCTION recipe_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE recipe_count SET recipes = recipes - (SELECT count(*) FROM deleted) WHERE id = 1; "
    "RETURN NULL; END $$",
    "CREATE FUNCTION recipe_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE recipe_count SET recipes = 0 WHERE id = 1; RETURN NULL; END $$",
    "CREATE TRIGGER recipe_count_insert AFTER INSERT ON recipe REFERENCING NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_count_inserted()",
    "CREATE TRIGGER recipe_count_delete AFTER DELETE ON recipe REFERENCING OLD TABLE AS deleted "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_count_deleted()",
    "CREATE TRIGGER recipe_count_truncate AFTER TRUNCATE ON recipe "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_count_truncated()",
]

_POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS recipe_count_truncate ON recipe",
    "DROP TRIGGER IF EXISTS recipe_count_delete ON recipe",
    "DROP TRIGGER IF EXISTS recipe_count_insert ON recipe",
    "DROP FUNCTION IF EXISTS recipe_count_truncated()",
    "DROP FUNCTION IF EXISTS recipe_count_deleted()",
    "DROP FUNCTION IF EXISTS recipe_count_inserted()",
    "DROP INDEX IF EXISTS ix_recipe_tags_gin",
    "DROP INDEX IF EXISTS ix_recipe_other_trgm",
    "DROP INDEX IF EXISTS ix_recipe_ingredients_trgm",
    "DROP INDEX IF EXISTS ix_recipe_label_trgm",
    "DROP FUNCTION IF EXISTS recipe_lines(jsonb)",
    # The extension stays: other objects may use it, and it holds no data.
]

_NEW_COLUMNS: list[tuple[str, Any, bool, str | None]] = [
    ("description", sa.Text(), False, ""),
    ("ingredients", _LINES, False, "[]"),
    ("instructions", _LINES, False, "[]"),
    ("tags", _LINES, False, "[]"),
    ("servings", sa.String(length=256), False, ""),
    ("prep_minutes", sa.Integer(), True, None),
    ("cook_minutes", sa.Integer(), True, None),
    ("total_minutes", sa.Integer(), True, None),
    ("image_url", sa.String(length=2048), True, None),
    ("cuisine", sa.String(length=256), True, None),
    ("category", sa.String(length=256), True, None),
]


def upgrade() -> None:
    for name, type_, nullable, default in _NEW_COLUMNS:
        op.add_column(
            "recipe",
            sa.Column(name, type_, nullable=nullable, server_default=default),
        )
    op.create_table(
        "recipe_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_count")),
    )
    op.execute("INSERT INTO recipe_count (id, recipes) SELECT 1, count(*) FROM recipe")
    statements = _SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = _SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_table("recipe_count")
    for name, *_ in reversed(_NEW_COLUMNS):
        op.drop_column("recipe", name)
