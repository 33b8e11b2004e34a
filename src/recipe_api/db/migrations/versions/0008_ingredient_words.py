"""An exact index for words in ingredient lists (PostgreSQL): the rare-word search's second path.

The trigram GIN index answers ``LIKE '%vegan%'`` with every row that holds the
three trigrams ``veg``, ``ega`` and ``gan`` anywhere ("vegetable", "vinegar",
"oregano"): at a million demo recipes, 107,000 candidates to read and recheck
for a word no ingredient list contains, 290 ms. Ingredient lists are long, so
their trigrams are all common.

``recipe_search_words(text)`` is the set of the text's ASCII letter-and-digit
runs' suffixes of three characters or more, each cut to 12 characters: a
keyword of such characters is a substring of the text exactly when it is a
prefix of one of them (``'vegan':*``), which a GIN index on the tsvector
answers from its dictionary, without reading a row. A text over 20,000
characters (the tsvector would outgrow its 1 MB limit) gets the one lexeme
``~unindexed`` instead, which every query also asks for; the ``LIKE`` is
checked on the candidates either way, so the answer is the same as before.
See ``docs/decisions/0009-recipe-details-and-search.md``.

SQLite needs nothing: FTS5's trigram index checks positions, so a word whose
trigrams are common but never adjacent finds no row at once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_UP = [
    "CREATE FUNCTION recipe_search_words(t text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "SELECT CASE WHEN length(t) > 20000 THEN '''~unindexed'''::tsvector ELSE ("
    "SELECT array_to_tsvector(coalesce(array_agg(substr(w, i, 12)), '{}')) "
    "FROM regexp_split_to_table(t, '[^a-z0-9]+') AS w, generate_series(1, length(w) - 2) AS i"
    ") END $$",
    "CREATE INDEX ix_recipe_ingredients_words ON recipe "
    "USING gin (recipe_search_words(search_ingredients))",
]
_DOWN = [
    "DROP INDEX IF EXISTS ix_recipe_ingredients_words",
    "DROP FUNCTION IF EXISTS recipe_search_words(text)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _DOWN:
            op.execute(statement)
