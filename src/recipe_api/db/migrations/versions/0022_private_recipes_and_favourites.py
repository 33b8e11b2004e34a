"""Private recipes (``recipe.private``) and favourites (``favourite``).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

Every recipe there is stays public: the column's default is false. See
``docs/decisions/0021-private-recipes-and-favourites.md``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "recipe", sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    # The private recipes, by cook: what a list's total leaves out, counted
    # through this index alone (no row of a public recipe is in it).
    op.create_index(
        "ix_recipe_private_submitter_id",
        "recipe",
        ["submitter_id"],
        sqlite_where=sa.text("private = 1"),
        postgresql_where=sa.text("private"),
    )
    op.create_table(
        "favourite",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_favourite_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipe.id"],
            name=op.f("fk_favourite_recipe_id_recipe"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "recipe_id", name=op.f("pk_favourite")),
    )
    op.create_index(op.f("ix_favourite_recipe_id"), "favourite", ["recipe_id"])
    op.create_index(
        "ix_favourite_user_id_created_at", "favourite", ["user_id", "created_at", "recipe_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_favourite_user_id_created_at", table_name="favourite")
    op.drop_index(op.f("ix_favourite_recipe_id"), table_name="favourite")
    op.drop_table("favourite")
    op.drop_index("ix_recipe_private_submitter_id", table_name="recipe")
    op.drop_column("recipe", "private")
