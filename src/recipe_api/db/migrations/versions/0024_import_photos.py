"""Photos waiting in an import job: ``recipe_import_photo``; finished jobs found by age.

``recipe_import_photo`` holds the photo of each recipe still to be created
(bytes, by the recipe's position in the job), read a batch at a time by the
runner and deleted as it is stored (decision 0027). ``ix_recipe_import_finished_at``
lets the housekeeping find finished jobs by age.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recipe_import_photo",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["recipe_import.id"],
            name=op.f("fk_recipe_import_photo_job_id_recipe_import"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipe.id"],
            name=op.f("fk_recipe_import_photo_recipe_id_recipe"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "position", name=op.f("pk_recipe_import_photo")),
    )
    op.create_index(op.f("ix_recipe_import_photo_recipe_id"), "recipe_import_photo", ["recipe_id"])
    op.create_index("ix_recipe_import_finished_at", "recipe_import", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_recipe_import_finished_at", table_name="recipe_import")
    op.drop_table("recipe_import_photo")
