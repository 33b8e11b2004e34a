"""A tag ready within N minutes, as one index lookup; the vocabulary by stem (PostgreSQL).

See ``docs/decisions/0025-search-at-a-million.md`` (the section of 2026-12-07
on the tag within N minutes).

``tag=vegan&max_total_minutes=10`` was a BitmapAnd of the tag's GIN list (one
recipe in eight: 134,000 entries at a million) and the minutes index (33,000),
whatever the few hundred rows it needed. ``recipe_tags_within(tags,
total_minutes)`` gives a recipe's tags each paired with every bucket of
minutes it is ready within (``vegan@10``, ``vegan@15``, ... ``vegan@120``), and
``ix_recipe_tags_within`` is a GIN index on it: "vegan within 10 minutes" is one
key's posting list. A limit between two buckets reads the next bucket up and
checks ``total_minutes`` on each row; past the last bucket the search reads
the two indexes as before.

PostgreSQL, too: ``ix_recipe_word_english``, the vocabulary's words by their
``english`` stems (a GIN index on ``to_tsvector('english', word)``). A typo's
search reads its exact-spelling tiers only when some recipe holds the typed
word in one of its forms; the vocabulary (public recipes, unstemmed) answers
that through this index, where a scan of the recipes for a stem no recipe
holds was planned as a walk of the whole table (3.5 s at a million).

SQLite: nothing (its tag table and the minutes index are walked newest first).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The buckets of minutes, as in recipes/search/postgresql.py (TAG_MINUTES_BUCKETS).
BUCKETS = (10, 15, 20, 30, 45, 60, 90, 120)

_PG_UP = [
    # IMMUTABLE: an index expression; it reads its arguments only.
    "CREATE FUNCTION recipe_tags_within(tags jsonb, minutes integer) RETURNS text[]"
    " LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$"
    " SELECT coalesce(array_agg(tag || '@' || bucket), '{}') FROM"
    " jsonb_array_elements_text(CASE WHEN jsonb_typeof(tags) = 'array' THEN tags"
    " ELSE '[]'::jsonb END) AS tag,"
    f" unnest('{{{','.join(str(b) for b in BUCKETS)}}}'::integer[]) AS bucket"
    " WHERE minutes <= bucket $$",
    "CREATE INDEX ix_recipe_tags_within ON recipe USING gin"
    " (recipe_tags_within(tags, total_minutes))",
    "CREATE INDEX ix_recipe_word_english ON recipe_word USING gin"
    " (to_tsvector('english'::regconfig, word))",
]
_PG_DOWN = [
    "DROP INDEX IF EXISTS ix_recipe_word_english",
    "DROP INDEX IF EXISTS ix_recipe_tags_within",
    "DROP FUNCTION IF EXISTS recipe_tags_within(jsonb, integer)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for statement in _PG_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for statement in _PG_DOWN:
            op.execute(statement)
