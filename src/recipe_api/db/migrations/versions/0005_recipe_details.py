"""Recipe details (description, ingredients, steps, tags, times...), search indexes, a count.

The new columns have defaults, so existing rows stay valid: an empty
description, no ingredients, no steps, no tags, unknown times.

Search (see ``docs/decisions/0009-recipe-details-and-search.md``):

* SQLite: FTS5 tables with the trigram tokenizer (substring matching, any
  case), one each for the label, the ingredient lines, the tags and the
  description, kept in step by triggers.
* PostgreSQL: pg_trgm GIN indexes on the lower-cased label, ingredients (as
  JSON text), tags (likewise) and description; a jsonb GIN index for exact tags.

``recipe_count`` holds the number of recipes, kept by triggers, so a page's
``total`` never counts the table.

Downgrade drops all of it; the details are lost, the recipes remain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LINES = sa.JSON().with_variant(JSONB(), "postgresql")

_SQLITE_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({}))"
# One FTS5 table per searched field, each kept in step by triggers. Separate
# tables rather than one with four columns: a word common in ingredients
# ("minced") but absent from labels would otherwise walk every ingredient
# posting to learn that no label has it (5 ms at 100k rows, measured).
_SQLITE_FTS = {
    "recipe_label_fts": ("label", "{}.label"),
    "recipe_ingredients_fts": ("ingredients", _SQLITE_LINES.format("{}.ingredients")),
    "recipe_tags_fts": ("tags", _SQLITE_LINES.format("{}.tags")),
    "recipe_description_fts": ("description", "{}.description"),
}


def _sqlite_up() -> list[str]:
    statements = []
    inserts = []
    deletes = []
    for fts, (column, value) in _SQLITE_FTS.items():
        # trigram: every three-character window is a token, so MATCH finds any
        # substring of three characters or more, case-folded.
        statements.append(f"CREATE VIRTUAL TABLE {fts} USING fts5(text, tokenize='trigram')")
        statements.append(
            f"INSERT INTO {fts} (rowid, text) SELECT id, {value.format('recipe')} FROM recipe"
        )
        inserts.append(f"INSERT INTO {fts} (rowid, text) VALUES (new.id, {value.format('new')});")
        deletes.append(f"DELETE FROM {fts} WHERE rowid = old.id;")
        statements.append(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON recipe BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts} (rowid, text) VALUES (new.id, {value.format('new')}); END"
        )
    statements += [
        f"CREATE TRIGGER recipe_fts_insert AFTER INSERT ON recipe BEGIN {' '.join(inserts)} END",
        f"CREATE TRIGGER recipe_fts_delete AFTER DELETE ON recipe BEGIN {' '.join(deletes)} END",
        "CREATE TRIGGER recipe_count_insert AFTER INSERT ON recipe BEGIN "
        "UPDATE recipe_count SET recipes = recipes + 1 WHERE id = 1; END",
        "CREATE TRIGGER recipe_count_delete AFTER DELETE ON recipe BEGIN "
        "UPDATE recipe_count SET recipes = recipes - 1 WHERE id = 1; END",
    ]
    return statements


def _sqlite_down() -> list[str]:
    statements = [
        "DROP TRIGGER IF EXISTS recipe_count_delete",
        "DROP TRIGGER IF EXISTS recipe_count_insert",
        "DROP TRIGGER IF EXISTS recipe_fts_delete",
        "DROP TRIGGER IF EXISTS recipe_fts_insert",
    ]
    for fts in _SQLITE_FTS:
        statements.append(f"DROP TRIGGER IF EXISTS {fts}_update")
        statements.append(f"DROP TABLE IF EXISTS {fts}")
    return statements


_POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_recipe_label_trgm ON recipe USING gin (lower(label) gin_trgm_ops)",
    # The JSON text of the lists: cheap to compute (a window of the newest rows
    # is filtered on it), and a keyword escaped as JSON cannot match across two
    # lines, whose separator holds a bare quote.
    # Stored: a search filters the newest rows on it, and lowering the JSON
    # text of a dozen lines per row cost 7 µs (measured), this costs none.
    "ALTER TABLE recipe ADD COLUMN search_ingredients text "
    "GENERATED ALWAYS AS (lower(ingredients::text)) STORED",
    "CREATE INDEX ix_recipe_ingredients_trgm ON recipe USING gin (search_ingredients gin_trgm_ops)",
    "CREATE INDEX ix_recipe_tags_trgm ON recipe USING gin (lower(tags::text) gin_trgm_ops)",
    "CREATE INDEX ix_recipe_description_trgm ON recipe USING gin (lower(description) gin_trgm_ops)",
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
    "DROP INDEX IF EXISTS ix_recipe_description_trgm",
    "DROP INDEX IF EXISTS ix_recipe_tags_trgm",
    "DROP INDEX IF EXISTS ix_recipe_ingredients_trgm",
    "ALTER TABLE recipe DROP COLUMN IF EXISTS search_ingredients",
    "DROP INDEX IF EXISTS ix_recipe_label_trgm",
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
    ("image_url", sa.Text(), True, None),
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
    statements = _sqlite_up() if op.get_bind().dialect.name == "sqlite" else _POSTGRES_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    statements = _sqlite_down() if op.get_bind().dialect.name == "sqlite" else _POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_table("recipe_count")
    for name, *_ in reversed(_NEW_COLUMNS):
        op.drop_column("recipe", name)
