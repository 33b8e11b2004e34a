"""The ``email_outbox`` table: every email the service decided to send.

A row is written in the same transaction as the change that causes it, so an
email exists exactly when its cause was committed. The sender claims rows by
pushing ``next_attempt_at`` forward (a lease) under a fresh ``claim``; only
the holder of the claim may mark the row sent.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from recipe_api.db.base import UTCDateTime, created_at_column, metadata

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
# A password-reset request for an address with no account: nothing to send.
DROPPED = "dropped"

email_outbox_table = Table(
    "email_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claim", String(32)),
    Column("last_error", Text),
    created_at_column(),
    Column("sent_at", UTCDateTime()),
    # The sender's one query: due rows of one status, oldest first.
    Index("ix_email_outbox_due", "status", "next_attempt_at"),
)
