"""Indexes on the expiry of web sessions and account tokens, for the prune.

``recipe-api db prune`` (and each worker, every ``PRUNE_INTERVAL_SECONDS``)
deletes expired rows in batches, oldest first. Without these indexes every
batch read the whole table on both backends (PostgreSQL: a sequential scan and
a sort; SQLite: ``SCAN`` and a temporary B-tree); with them it reads only the
batch. The outbox needs none: its ``ix_email_outbox_due`` (status,
next_attempt_at) already finds old sent rows. See
``docs/decisions/0011-email-outbox.md``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"])
    op.create_index(op.f("ix_account_token_expires_at"), "account_token", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_token_expires_at"), table_name="account_token")
    op.drop_index(op.f("ix_web_session_expires_at"), table_name="web_session")
