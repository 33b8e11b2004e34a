"""The ``shopping_line`` and ``shopping_aisle`` tables.

A line keeps what it needs in base units (grams, millilitres, a count of its
counted unit), so adding another recipe's amount is one addition; the text is
made when the list is shown (``shopping/lines.py``). ``shopping_aisle`` holds
the aisles a cook chose for foods, over the default mapping.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    false,
)

from recipe_api.db.base import created_at_column, metadata

shopping_line_table = Table(
    "shopping_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "cook_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    # The merge key ("garlic"); "" for a line the cook typed.
    Column("food", String(256), nullable=False),
    # What is shown: the food as a recipe wrote it, or the cook's own line.
    Column("name", String(256), nullable=False),
    # "mass" (grams), "volume" (millilitres), a counted unit ("clove"), "" for a plain
    # count; NULL for a line without an amount ("salt to taste", a typed line).
    Column("measure", String(32), nullable=True),
    Column("quantity", Float, nullable=True),
    # Mass and volume are shown in "metric" or "us" units: those the recipes used.
    Column("units", String(8), nullable=True),
    Column("aisle", String(16), nullable=False),
    Column("checked", Boolean, nullable=False, server_default=false()),
    Column("manual", Boolean, nullable=False, server_default=false()),
    created_at_column(),
)

shopping_aisle_table = Table(
    "shopping_aisle",
    metadata,
    Column("cook_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("food", String(256), primary_key=True),
    Column("aisle", String(16), nullable=False),
)
