"""Recipe photos: ``photo`` (one per recipe) and ``photo_file`` (its WebP renditions).

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("cook_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"], ["recipe.id"], name=op.f("fk_photo_recipe_id_recipe"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cook_id"], ["user.id"], name=op.f("fk_photo_cook_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
        sa.UniqueConstraint("recipe_id", name=op.f("uq_photo_recipe_id")),
    )
    op.create_index(op.f("ix_photo_cook_id"), "photo", ["cook_id"])
    op.create_table(
        "photo_file",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photo.id"],
            name=op.f("fk_photo_file_photo_id_photo"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", "width", name=op.f("pk_photo_file")),
    )


def downgrade() -> None:
    op.drop_table("photo_file")
    op.drop_index(op.f("ix_photo_cook_id"), table_name="photo")
    op.drop_table("photo")
