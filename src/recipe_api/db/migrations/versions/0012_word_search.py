"""Search by words: stemmed full-text indexes, a vocabulary for typos, name and facet indexes.

See ``docs/decisions/0016-word-search.md``.

* SQLite: ``recipe_search_fts``, an FTS5 table with the ``porter`` tokenizer
  and three columns (the name, the ingredient lines, and the rest: tags,
  cuisine, category, description), contentless (``content=''``: the rows
  are in ``recipe``; only the index is kept), so triggers insert and delete
  its entries with the same expressions. ``recipe_words_fts`` indexes the
  same text unstemmed with ``detail=none`` (rowids only, the smallest
  index), and ``recipe_word_vocab`` (``fts5vocab``) lists its words with
  the number of recipes holding each: the vocabulary "Did you mean" picks
  from, always in step with the recipes.
* PostgreSQL: ``search_name``, ``search_ingredient_words`` and
  ``search_other``, stored generated ``tsvector`` columns (the ``english``
  configuration), each with a GIN index; ``recipe_word`` (word, recipes), kept by per-statement
  triggers from the ``simple`` configuration's words of the same text.
* Both: an index on the name without case (the exact name ranks first) and
  on cuisine and category (browsing by them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SQLITE_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({r}.{c}))"
# The three columns of the search document, from a recipe row named {r}.
SQLITE_DOCUMENT = {
    "label": "{r}.label",
    "ingredients": _SQLITE_LINES.format(r="{r}", c="ingredients"),
    "other": _SQLITE_LINES.format(r="{r}", c="tags")
    + " || char(10) || coalesce({r}.cuisine, '') || char(10) || coalesce({r}.category, '')"
    " || char(10) || {r}.description",
}
_SQLITE_FTS = {
    "recipe_search_fts": "tokenize='porter unicode61 remove_diacritics 2'",
    "recipe_words_fts": "tokenize='unicode61 remove_diacritics 2', detail=none",
}
_COLUMNS = ", ".join(SQLITE_DOCUMENT)


def _sqlite_values(row: str) -> str:
    return ", ".join(value.format(r=row) for value in SQLITE_DOCUMENT.values())


def sqlite_fill(where: str = "") -> list[str]:
    """Index every recipe (``where``: only some) in both tables: the migration's and bulk path."""
    return [
        f"INSERT INTO {fts} (rowid, {_COLUMNS}) "
        f"SELECT recipe.id, {_sqlite_values('recipe')} FROM recipe {where}"
        for fts in _SQLITE_FTS
    ]


def _sqlite_insert(row: str) -> str:
    return " ".join(
        f"INSERT INTO {fts} (rowid, {_COLUMNS}) VALUES ({row}.id, {_sqlite_values(row)});"
        for fts in _SQLITE_FTS
    )


def _sqlite_delete(row: str) -> str:
    # A contentless table forgets a row only when given the values it indexed.
    return " ".join(
        f"INSERT INTO {fts} ({fts}, rowid, {_COLUMNS}) "
        f"VALUES ('delete', {row}.id, {_sqlite_values(row)});"
        for fts in _SQLITE_FTS
    )


SQLITE_INSERT_TRIGGER = "recipe_search_insert"
_SQLITE_UP = [
    *(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({_COLUMNS}, content='', {options})"
        for fts, options in _SQLITE_FTS.items()
    ),
    "CREATE VIRTUAL TABLE recipe_word_vocab USING fts5vocab(recipe_words_fts, 'row')",
    *sqlite_fill(),
    f"CREATE TRIGGER {SQLITE_INSERT_TRIGGER} AFTER INSERT ON recipe BEGIN "
    f"{_sqlite_insert('new')} END",
    f"CREATE TRIGGER recipe_search_delete AFTER DELETE ON recipe BEGIN {_sqlite_delete('old')} END",
    "CREATE TRIGGER recipe_search_update AFTER UPDATE OF "
    "label, ingredients, tags, cuisine, category, description ON recipe BEGIN "
    f"{_sqlite_delete('old')} {_sqlite_insert('new')} END",
    "CREATE INDEX ix_recipe_label_nocase ON recipe (label COLLATE NOCASE)",
    "CREATE INDEX ix_recipe_cuisine_nocase ON recipe (cuisine COLLATE NOCASE)",
    "CREATE INDEX ix_recipe_category_nocase ON recipe (category COLLATE NOCASE)",
]
_SQLITE_DOWN = [
    "DROP INDEX IF EXISTS ix_recipe_category_nocase",
    "DROP INDEX IF EXISTS ix_recipe_cuisine_nocase",
    "DROP INDEX IF EXISTS ix_recipe_label_nocase",
    "DROP TRIGGER IF EXISTS recipe_search_update",
    "DROP TRIGGER IF EXISTS recipe_search_delete",
    f"DROP TRIGGER IF EXISTS {SQLITE_INSERT_TRIGGER}",
    "DROP TABLE IF EXISTS recipe_word_vocab",
    *(f"DROP TABLE IF EXISTS {fts}" for fts in _SQLITE_FTS),
]

# The rest of a recipe's text, for both the document and the vocabulary.
_PG_OTHER = (
    "tags::text || ' ' || coalesce(cuisine, '') || ' ' || coalesce(category, '')"
    " || ' ' || description"
)
_PG_VOCABULARY = (
    "tsvector_to_array(to_tsvector('simple'::regconfig, {r}.label || ' ' || {r}.ingredients::text"
    " || ' ' || {r}.tags::text || ' ' || coalesce({r}.cuisine, '') || ' '"
    " || coalesce({r}.category, '') || ' ' || {r}.description))"
)


def _pg_words(table: str, sign: str) -> str:
    words = _PG_VOCABULARY.format(r="r")
    return f"SELECT word, {sign}1 AS n FROM {table} AS r, unnest({words}) AS word"


# One tsvector (the english configuration) per part of the recipe, each with its
# own GIN index and statistics: "all words in the name" is then answered by the
# name's index, and the planner knows that "minced" is common in ingredient
# lists and absent from names (one weighted vector would hide that).
_PG_VECTORS = {
    "search_name": "label",
    "search_ingredient_words": "ingredients::text",
    "search_other": _PG_OTHER,
}
_PG_UP = [
    *(
        f"ALTER TABLE recipe ADD COLUMN {column} tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('english'::regconfig, {source})) STORED"
        for column, source in _PG_VECTORS.items()
    ),
    *(f"CREATE INDEX ix_recipe_{column} ON recipe USING gin ({column})" for column in _PG_VECTORS),
    "CREATE TABLE recipe_word (word text PRIMARY KEY, recipes integer NOT NULL)",
    "INSERT INTO recipe_word (word, recipes) SELECT word, count(*) FROM ("
    f"{_pg_words('recipe', '')}) AS words GROUP BY word",
    # One statement for both signs, its rows locked in word order: two writers
    # never wait on each other's words the other way round (no deadlock).
    "CREATE FUNCTION recipe_word_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
    f"{_pg_words('inserted', '')}) AS words GROUP BY word ORDER BY word "
    "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes; "
    "ELSIF TG_OP = 'DELETE' THEN "
    "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
    f"{_pg_words('deleted', '-')}) AS words GROUP BY word ORDER BY word "
    "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes; "
    "ELSE "
    "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
    f"{_pg_words('inserted', '')} UNION ALL {_pg_words('deleted', '-')}) AS words "
    "GROUP BY word HAVING sum(n) <> 0 ORDER BY word "
    "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes; "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER recipe_word_insert AFTER INSERT ON recipe REFERENCING NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_word_count()",
    "CREATE TRIGGER recipe_word_delete AFTER DELETE ON recipe REFERENCING OLD TABLE AS deleted "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_word_count()",
    "CREATE TRIGGER recipe_word_update AFTER UPDATE ON recipe "
    "REFERENCING OLD TABLE AS deleted NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_word_count()",
    "CREATE FUNCTION recipe_word_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "DELETE FROM recipe_word; RETURN NULL; END $$",
    "CREATE TRIGGER recipe_word_truncate AFTER TRUNCATE ON recipe "
    "FOR EACH STATEMENT EXECUTE FUNCTION recipe_word_truncated()",
    "CREATE INDEX ix_recipe_label_lower ON recipe (lower(label) text_pattern_ops)",
    "CREATE INDEX ix_recipe_cuisine_lower ON recipe (lower(cuisine))",
    "CREATE INDEX ix_recipe_category_lower ON recipe (lower(category))",
]
_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_recipe_category_lower",
    "DROP INDEX IF EXISTS ix_recipe_cuisine_lower",
    "DROP INDEX IF EXISTS ix_recipe_label_lower",
    "DROP TRIGGER IF EXISTS recipe_word_truncate ON recipe",
    "DROP FUNCTION IF EXISTS recipe_word_truncated()",
    "DROP TRIGGER IF EXISTS recipe_word_update ON recipe",
    "DROP TRIGGER IF EXISTS recipe_word_delete ON recipe",
    "DROP TRIGGER IF EXISTS recipe_word_insert ON recipe",
    "DROP FUNCTION IF EXISTS recipe_word_count()",
    "DROP TABLE IF EXISTS recipe_word",
    *(f"DROP INDEX IF EXISTS ix_recipe_{column}" for column in _PG_VECTORS),
    *(f"ALTER TABLE recipe DROP COLUMN IF EXISTS {column}" for column in _PG_VECTORS),
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_UP if sqlite else _PG_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DOWN if sqlite else _PG_DOWN:
        op.execute(statement)
