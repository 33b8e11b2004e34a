"""Store a recipe's URL as text without a length limit.

The API accepts a URL of up to 2048 characters and stores it in its
normalised form, which can be longer than what was sent: a trailing slash
for an empty path, punycode for a non-ASCII host, percent-escapes in the
path. A 2048-character URL with no path became 2049 characters and
PostgreSQL refused the insert (a 500). The limit belongs to the input; the
column keeps whatever the normalised form is.

Downgrade goes back to ``VARCHAR(2048)``; on PostgreSQL it fails if a stored
URL is longer, and changes nothing then.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipe") as batch:
        batch.alter_column(
            "url", existing_type=sa.String(length=2048), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recipe") as batch:
        batch.alter_column(
            "url", existing_type=sa.Text(), type_=sa.String(length=2048), existing_nullable=False
        )
