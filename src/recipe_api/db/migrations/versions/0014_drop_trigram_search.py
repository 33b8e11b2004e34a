"""Drop the substring-search indexes that the word search (0012) replaced.

See ``docs/decisions/0016-word-search.md`` and ``0018-search-facets-and-speed.md``.

* SQLite: the trigram FTS5 tables of the name and the description
  (``recipe_label_fts``, ``recipe_description_fts``) and their triggers. The
  ingredient lines' and the tags' trigram tables stay: the "with the
  ingredient" filter is a substring, and a tag browse is driven by its table.
* PostgreSQL: the trigram indexes of the name, the tags and the description,
  and the ingredient-word index of 0008 with its function. The ingredients'
  trigram index (the "with the ingredient" filter) and the tags' ``jsonb``
  index (an exact tag) stay.

Nothing read them since 0012; every write still paid for them (four FTS5
inserts per recipe on SQLite, three GIN entries per recipe on PostgreSQL).
Downgrade builds them again from the rows.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

_SQLITE_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({}))"
# Every trigram table of 0005 with its column and value; the first two stay.
_KEPT = {
    "recipe_ingredients_fts": ("ingredients", _SQLITE_LINES.format("{}.ingredients")),
    "recipe_tags_fts": ("tags", _SQLITE_LINES.format("{}.tags")),
}
_DROPPED = {
    "recipe_label_fts": ("label", "{}.label"),
    "recipe_description_fts": ("description", "{}.description"),
}


def _sqlite_row_triggers(tables: dict[str, tuple[str, str]]) -> list[str]:
    """0005's insert and delete triggers, over ``tables``."""
    inserts = " ".join(
        f"INSERT INTO {fts} (rowid, text) VALUES (new.id, {value.format('new')});"
        for fts, (_, value) in tables.items()
    )
    deletes = " ".join(f"DELETE FROM {fts} WHERE rowid = old.id;" for fts in tables)
    return [
        "DROP TRIGGER IF EXISTS recipe_fts_insert",
        "DROP TRIGGER IF EXISTS recipe_fts_delete",
        f"CREATE TRIGGER recipe_fts_insert AFTER INSERT ON recipe BEGIN {inserts} END",
        f"CREATE TRIGGER recipe_fts_delete AFTER DELETE ON recipe BEGIN {deletes} END",
    ]


def _sqlite_up() -> list[str]:
    statements = []
    for fts in _DROPPED:
        statements.append(f"DROP TRIGGER IF EXISTS {fts}_update")
        statements.append(f"DROP TABLE IF EXISTS {fts}")
    return statements + _sqlite_row_triggers(_KEPT)


def _sqlite_down() -> list[str]:
    statements = []
    for fts, (column, value) in _DROPPED.items():
        statements += [
            f"CREATE VIRTUAL TABLE {fts} USING fts5(text, tokenize='trigram')",
            f"INSERT INTO {fts} (rowid, text) SELECT id, {value.format('recipe')} FROM recipe",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON recipe BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts} (rowid, text) VALUES (new.id, {value.format('new')}); END",
        ]
    # 0005's order of the tables: label, ingredients, tags, description.
    every = {
        "recipe_label_fts": _DROPPED["recipe_label_fts"],
        **_KEPT,
        "recipe_description_fts": _DROPPED["recipe_description_fts"],
    }
    return statements + _sqlite_row_triggers(every)


_POSTGRES_UP = [
    "DROP INDEX IF EXISTS ix_recipe_label_trgm",
    "DROP INDEX IF EXISTS ix_recipe_tags_trgm",
    "DROP INDEX IF EXISTS ix_recipe_description_trgm",
    "DROP INDEX IF EXISTS ix_recipe_ingredients_words",
    "DROP FUNCTION IF EXISTS recipe_search_words(text)",
]
_POSTGRES_DOWN = [
    "CREATE INDEX ix_recipe_label_trgm ON recipe USING gin (lower(label) gin_trgm_ops)",
    "CREATE INDEX ix_recipe_tags_trgm ON recipe USING gin (lower(tags::text) gin_trgm_ops)",
    "CREATE INDEX ix_recipe_description_trgm ON recipe USING gin (lower(description) gin_trgm_ops)",
    # 0008's function and index, as it made them.
    "CREATE FUNCTION recipe_search_words(t text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "SELECT CASE WHEN length(t) > 20000 THEN '''~unindexed'''::tsvector ELSE ("
    "SELECT array_to_tsvector(coalesce(array_agg(substr(w, i, 12)), '{}')) "
    "FROM regexp_split_to_table(t, '[^a-z0-9]+') AS w, generate_series(1, length(w) - 2) AS i"
    ") END $$",
    "CREATE INDEX ix_recipe_ingredients_words ON recipe "
    "USING gin (recipe_search_words(search_ingredients))",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_up() if sqlite else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_down() if sqlite else _POSTGRES_DOWN:
        op.execute(statement)
