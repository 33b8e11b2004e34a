"""The ``recipe`` table and what keeps its search index and count.

Ingredients, instructions and tags are ordered lists of lines kept as JSON
arrays on the recipe row (see ``docs/decisions/0009-recipe-details-and-search.md``):
a recipe is always read whole, and search goes through an index built from
the flattened text, never through a row per ingredient.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from recipe_api.db.base import UTCDateTime, created_at_column, metadata

# JSONB on PostgreSQL: containment (``tags @> '["vegan"]'``) has a GIN index.
Lines = JSON().with_variant(JSONB(), "postgresql")

recipe_table = Table(
    "recipe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(256), nullable=False),
    # No length: the API bounds what is sent (2048), and its normalised form
    # (a slash added, punycode, percent-escapes) may be longer. "" when the
    # recipe was typed in at home: API v1 always answered a string here.
    Column("url", Text, nullable=False),
    Column("source", String(256), nullable=False),
    Column(
        "submitter_id",
        Integer,
        ForeignKey("user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    created_at_column(),
    Column(
        "updated_at",
        UTCDateTime(),
        server_default=func.now(),
        onupdate=func.now(),
        nullable=False,
    ),
    Column("description", Text, nullable=False, server_default=""),
    Column("ingredients", Lines, nullable=False, server_default="[]"),
    Column("instructions", Lines, nullable=False, server_default="[]"),
    Column("tags", Lines, nullable=False, server_default="[]"),
    Column("servings", String(256), nullable=False, server_default=""),
    Column("prep_minutes", Integer, nullable=True),
    Column("cook_minutes", Integer, nullable=True),
    Column("total_minutes", Integer, nullable=True),
    Column("image_url", Text, nullable=True),  # unbounded, as ``url``
    Column("cuisine", String(256), nullable=True),
    Column("category", String(256), nullable=True),
    # Every write to the row adds one (migration 0010): an edit from a form
    # writes only where the revision is still the one it read.
    Column("revision", Integer, nullable=False, server_default="1"),
    # The idea (reddit post) the recipe was saved from; NULL for the rest.
    Column("idea_url", Text, nullable=True),
    # Seen by its cook and superusers only (migration 0022): ``recipes/visibility.py``.
    Column("private", Boolean, nullable=False, server_default=false()),
    # The list and the home page read newest first.
    Index("ix_recipe_created_at_id", "created_at", "id"),
    # The private recipes by cook: a list's total subtracts those it may not show.
    Index(
        "ix_recipe_private_submitter_id",
        "submitter_id",
        sqlite_where=text("private = 1"),
        postgresql_where=text("private"),
    ),
    # A cook's recipes newest first ("my recipes", migration 0025).
    Index("ix_recipe_submitter_id_created_at_id", "submitter_id", "created_at", "id"),
    # "Ready within N minutes" (migration 0023).
    Index("ix_recipe_total_minutes", "total_minutes"),
    # One recipe per cook and saved idea, however many saves arrive at once.
    Index(
        "ix_recipe_submitter_id_idea_url",
        "submitter_id",
        "idea_url",
        unique=True,
        sqlite_where=text("idea_url IS NOT NULL"),
        postgresql_where=text("idea_url IS NOT NULL"),
    ),
)

# One row, kept by triggers: the list's ``total`` without counting the table.
recipe_count_table = Table(
    "recipe_count",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recipes", Integer, nullable=False),
    # A backup leaves it out; a restore's inserts make the triggers count again.
    info={"derived": True},
)

# One row, bumped by triggers on every write to ``recipe`` (migration 0007): cached
# answers built from the recipes are good while it stays the same.
recipe_version_table = Table(
    "recipe_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
    info={"derived": True},
)

# A PostgreSQL-only stored generated column (lower-cased JSON text of the
# ingredients) that search reads; SQLite has its own FTS5 tables instead.
SEARCH_COLUMNS = (
    "search_ingredients",
    "search_name",
    "search_ingredient_words",
    "search_other",
)

# Search objects the migration makes and the metadata cannot express
# (FTS5 tables and their shadow tables, trigram expression indexes).
SEARCH_TABLES = (
    # Until 0014, also the label's and description's trigram tables.
    "recipe_label_fts",
    "recipe_ingredients_fts",
    "recipe_tags_fts",
    "recipe_description_fts",
    "recipe_search_fts",
    "recipe_words_fts",
    "recipe_word_vocab",
    # The names alone (migration 0025).
    "recipe_name_fts",
    # The ingredients' words alone (migration 0029).
    "recipe_ingredient_words_fts",
    # PostgreSQL's vocabulary (a table kept by triggers, migration 0012).
    "recipe_word",
)
SEARCH_INDEXES = (
    "ix_recipe_label_trgm",
    "ix_recipe_ingredients_trgm",
    "ix_recipe_tags_trgm",
    "ix_recipe_description_trgm",
    "ix_recipe_tags_gin",
    "ix_recipe_ingredients_words",
    "ix_recipe_search_name",
    "ix_recipe_search_ingredient_words",
    "ix_recipe_search_other",
    "ix_recipe_search_all",
    # A tag within N minutes; the vocabulary by stem (migration 0026).
    "ix_recipe_tags_within",
    "ix_recipe_word_english",
    "ix_recipe_label_nocase",
    # The name with what the visibility check reads (migration 0028; SQLite).
    "ix_recipe_label_nocase_visible",
    "ix_recipe_cuisine_nocase",
    "ix_recipe_category_nocase",
    "ix_recipe_label_lower",
    "ix_recipe_cuisine_lower",
    "ix_recipe_category_lower",
)
