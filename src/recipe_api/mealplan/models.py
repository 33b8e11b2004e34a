"""The ``meal_plan_entry`` table: one recipe on one day and meal of a cook's plan."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table

from recipe_api.db.base import created_at_column, metadata

meal_plan_entry_table = Table(
    "meal_plan_entry",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cook_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
    # Indexed: deleting a recipe removes its entries without a scan.
    Column(
        "recipe_id",
        Integer,
        ForeignKey("recipe.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("day", Date, nullable=False),
    Column("meal", String(16), nullable=False),
    Column("servings", Integer, nullable=False),
    created_at_column(),
    # A week of one cook's plan is one range read on this index.
    Index("ix_meal_plan_entry_cook_id_day", "cook_id", "day"),
)
