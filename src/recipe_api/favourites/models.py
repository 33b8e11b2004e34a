"""The ``favourite`` table: one row per cook and recipe they marked."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, Table

from recipe_api.db.base import created_at_column, metadata

favourite_table = Table(
    "favourite",
    metadata,
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    # Indexed: deleting a recipe removes its favourites without a scan.
    Column(
        "recipe_id",
        Integer,
        ForeignKey("recipe.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    created_at_column(),
    # A cook's favourites newest first, a page after another: one range of this index.
    Index("ix_favourite_user_id_created_at", "user_id", "created_at", "recipe_id"),
)
