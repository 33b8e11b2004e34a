""" "Did you mean" suggests only words of public recipes; a cook's recipes newest first by index.

See ``docs/decisions/0025-search-at-a-million.md``.

The vocabulary a typo's correction is picked from (migration 0012) counted
the words of every recipe, so a word only a private recipe holds could be
offered to anyone: another cook or a visitor typing one letter off it would
read it back. Now it counts public recipes only, on both databases:

* SQLite: ``recipe_words_fts`` (whose ``fts5vocab`` table is the vocabulary)
  indexes a recipe only while it is public. Its entries are written by their
  own triggers, which also fire when ``private`` changes; the search index
  (``recipe_search_fts``) keeps 0012's triggers for its own entries.
* PostgreSQL: ``recipe_word_count()`` (the per-statement triggers of 0012)
  counts the words of public rows only; an update that makes a recipe private
  subtracts its words, and the reverse adds them.

The upgrade removes the words of the recipes private now; the downgrade puts
them back.

SQLite: ``recipe_name_fts``, the names alone (the ``porter`` tokenizer of
``recipe_search_fts``), kept by the same triggers: "every word in the name"
is a short list there, where ``{label} : (...)`` on the whole document read
every match of the words elsewhere (``minced``, in most ingredient lists and
no name: 60 ms at a million; ``chicken garlic rice``: 105).

Both: ``ix_recipe_submitter_id_created_at_id``, so "my recipes" (newest
first, by page or cursor) is a range of one index: a cook with 10,000 of a
million recipes had their page sorted from all 10,000 rows, or the newest
recipes walked for theirs.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# 0012's document (the same three columns in both FTS5 tables), from a recipe row named {r}.
_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({r}.{c}))"
_DOCUMENT = (
    "{r}.label, "
    + _LINES.format(r="{r}", c="ingredients")
    + ", "
    + _LINES.format(r="{r}", c="tags")
    + " || char(10) || coalesce({r}.cuisine, '') || char(10) || coalesce({r}.category, '')"
    " || char(10) || {r}.description"
)
_COLUMNS = "label, ingredients, other"
_TEXT_COLUMNS = "label, ingredients, tags, cuisine, category, description"


def _insert(fts: str, row: str, where: str = "") -> str:
    return (
        f"INSERT INTO {fts} (rowid, {_COLUMNS}) SELECT {row}.id, {_DOCUMENT.format(r=row)}{where};"
    )


def _delete(fts: str, row: str, where: str = "") -> str:
    # A contentless table forgets a row only when given the values it indexed.
    return (
        f"INSERT INTO {fts} ({fts}, rowid, {_COLUMNS}) "
        f"SELECT 'delete', {row}.id, {_DOCUMENT.format(r=row)}{where};"
    )


_NAME_FTS = "recipe_name_fts"


def _name(row: str, *, delete: bool = False) -> str:
    if delete:
        return (
            f"INSERT INTO {_NAME_FTS} ({_NAME_FTS}, rowid, label) "
            f"VALUES ('delete', {row}.id, {row}.label);"
        )
    return f"INSERT INTO {_NAME_FTS} (rowid, label) VALUES ({row}.id, {row}.label);"


def _sqlite_triggers(public_only: bool) -> list[str]:
    """0012's three triggers; with ``public_only``, the vocabulary's entries by their own."""
    search, words = "recipe_search_fts", "recipe_words_fts"
    if not public_only:
        return [
            f"CREATE TRIGGER recipe_search_insert AFTER INSERT ON recipe BEGIN "
            f"{_insert(search, 'new')} {_insert(words, 'new')} END",
            f"CREATE TRIGGER recipe_search_delete AFTER DELETE ON recipe BEGIN "
            f"{_delete(search, 'old')} {_delete(words, 'old')} END",
            f"CREATE TRIGGER recipe_search_update AFTER UPDATE OF {_TEXT_COLUMNS} ON recipe BEGIN "
            f"{_delete(search, 'old')} {_delete(words, 'old')} "
            f"{_insert(search, 'new')} {_insert(words, 'new')} END",
        ]
    new_public, old_public = " WHERE new.private = 0", " WHERE old.private = 0"
    return [
        # The name demo.py's bulk load looks for (it fills the tables itself).
        f"CREATE TRIGGER recipe_search_insert AFTER INSERT ON recipe BEGIN "
        f"{_insert(search, 'new')} {_insert(words, 'new', new_public)} {_name('new')} END",
        f"CREATE TRIGGER recipe_search_delete AFTER DELETE ON recipe BEGIN "
        f"{_delete(search, 'old')} {_delete(words, 'old', old_public)} "
        f"{_name('old', delete=True)} END",
        f"CREATE TRIGGER recipe_search_update AFTER UPDATE OF {_TEXT_COLUMNS} ON recipe BEGIN "
        f"{_delete(search, 'old')} {_insert(search, 'new')} "
        f"{_name('old', delete=True)} {_name('new')} END",
        f"CREATE TRIGGER recipe_words_update AFTER UPDATE OF {_TEXT_COLUMNS}, private "
        f"ON recipe BEGIN {_delete(words, 'old', old_public)} "
        f"{_insert(words, 'new', new_public)} END",
    ]


_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS recipe_words_update",
    "DROP TRIGGER IF EXISTS recipe_search_update",
    "DROP TRIGGER IF EXISTS recipe_search_delete",
    "DROP TRIGGER IF EXISTS recipe_search_insert",
]
_SQLITE_UP = [
    *_SQLITE_DROP,
    f"CREATE VIRTUAL TABLE {_NAME_FTS} USING fts5(label, content='', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"INSERT INTO {_NAME_FTS} (rowid, label) SELECT id, label FROM recipe",
    *_sqlite_triggers(public_only=True),
    # The private recipes' words out of the vocabulary.
    _delete("recipe_words_fts", "recipe", " FROM recipe WHERE recipe.private = 1").rstrip(";"),
]
_SQLITE_DOWN = [
    *_SQLITE_DROP,
    f"DROP TABLE IF EXISTS {_NAME_FTS}",
    *_sqlite_triggers(public_only=False),
    _insert("recipe_words_fts", "recipe", " FROM recipe WHERE recipe.private = 1").rstrip(";"),
]

# 0012's words of a recipe row named {r} (the simple configuration, unstemmed).
_PG_VOCABULARY = (
    "tsvector_to_array(to_tsvector('simple'::regconfig, {r}.label || ' ' || {r}.ingredients::text"
    " || ' ' || {r}.tags::text || ' ' || coalesce({r}.cuisine, '') || ' '"
    " || coalesce({r}.category, '') || ' ' || {r}.description))"
)


def _pg_words(table: str, sign: str, where: str) -> str:
    words = _PG_VOCABULARY.format(r="r")
    return f"SELECT word, {sign}1 AS n FROM {table} AS r, unnest({words}) AS word{where}"


def _pg_function(where: str) -> str:
    """0012's ``recipe_word_count()``, counting the rows ``where`` selects."""
    return (
        "CREATE OR REPLACE FUNCTION recipe_word_count() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_OP = 'INSERT' THEN "
        "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
        f"{_pg_words('inserted', '', where)}) AS words GROUP BY word ORDER BY word "
        "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes; "
        "ELSIF TG_OP = 'DELETE' THEN "
        "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
        f"{_pg_words('deleted', '-', where)}) AS words GROUP BY word ORDER BY word "
        "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes; "
        "ELSE "
        "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
        f"{_pg_words('inserted', '', where)} UNION ALL {_pg_words('deleted', '-', where)})"
        " AS words GROUP BY word HAVING sum(n) <> 0 ORDER BY word "
        "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes; "
        "END IF; RETURN NULL; END $$"
    )


def _pg_private_words(sign: str) -> str:
    """Add (``+``) or subtract (``-``) the words of the recipes private now."""
    return (
        "INSERT INTO recipe_word (word, recipes) SELECT word, sum(n) FROM ("
        f"{_pg_words('recipe', '' if sign == '+' else '-', ' WHERE r.private')}) AS words "
        "GROUP BY word ORDER BY word "
        "ON CONFLICT (word) DO UPDATE SET recipes = recipe_word.recipes + excluded.recipes"
    )


_COOK_INDEX = (
    "CREATE INDEX ix_recipe_submitter_id_created_at_id ON recipe (submitter_id, created_at, id)"
)
_DROP_COOK_INDEX = "DROP INDEX IF EXISTS ix_recipe_submitter_id_created_at_id"
_SQLITE_UP.append(_COOK_INDEX)
_SQLITE_DOWN.append(_DROP_COOK_INDEX)
_PG_UP = [_pg_function(" WHERE NOT r.private"), _pg_private_words("-"), _COOK_INDEX]
_PG_DOWN = [_pg_function(""), _pg_private_words("+"), _DROP_COOK_INDEX]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_UP if sqlite else _PG_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DOWN if sqlite else _PG_DOWN:
        op.execute(statement)
