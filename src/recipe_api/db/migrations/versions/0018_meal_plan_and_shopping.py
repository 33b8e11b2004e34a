"""The meal plan and the shopping list: ``meal_plan_entry``, ``shopping_line``, ``shopping_aisle``.

Revision ID: 0018
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _cook(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["cook_id"], ["user.id"], name=op.f(f"fk_{table}_cook_id_user"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "meal_plan_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cook_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("meal", sa.String(length=16), nullable=False),
        sa.Column("servings", sa.Integer(), nullable=False),
        _created_at(),
        _cook("meal_plan_entry"),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipe.id"],
            name=op.f("fk_meal_plan_entry_recipe_id_recipe"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_plan_entry")),
    )
    op.create_index("ix_meal_plan_entry_cook_id_day", "meal_plan_entry", ["cook_id", "day"])
    op.create_index(op.f("ix_meal_plan_entry_recipe_id"), "meal_plan_entry", ["recipe_id"])
    op.create_table(
        "shopping_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cook_id", sa.Integer(), nullable=False),
        sa.Column("food", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("units", sa.String(length=8), nullable=True),
        sa.Column("aisle", sa.String(length=16), nullable=False),
        sa.Column("checked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("manual", sa.Boolean(), server_default=sa.false(), nullable=False),
        _created_at(),
        _cook("shopping_line"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopping_line")),
    )
    op.create_index(op.f("ix_shopping_line_cook_id"), "shopping_line", ["cook_id"])
    op.create_table(
        "shopping_aisle",
        sa.Column("cook_id", sa.Integer(), nullable=False),
        sa.Column("food", sa.String(length=256), nullable=False),
        sa.Column("aisle", sa.String(length=16), nullable=False),
        _cook("shopping_aisle"),
        sa.PrimaryKeyConstraint("cook_id", "food", name=op.f("pk_shopping_aisle")),
    )


def downgrade() -> None:
    op.drop_table("shopping_aisle")
    op.drop_index(op.f("ix_shopping_line_cook_id"), table_name="shopping_line")
    op.drop_table("shopping_line")
    op.drop_index(op.f("ix_meal_plan_entry_recipe_id"), table_name="meal_plan_entry")
    op.drop_index("ix_meal_plan_entry_cook_id_day", table_name="meal_plan_entry")
    op.drop_table("meal_plan_entry")
