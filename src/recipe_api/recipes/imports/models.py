"""The ``recipe_import`` table: one row per upload, its recipes and how far it got.

``pending`` holds the recipes read from the upload (JSON, our create shape),
so any worker can carry the job on; ``position`` is how many of them are
done, moved forward in the same transaction as the recipes it covers, so a
job picked up again after a restart never creates a recipe twice. A worker
holds the job under ``claim`` until ``lease_until`` (as the outbox's sender
holds its emails).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from recipe_api.db.base import UTCDateTime, created_at_column, metadata

QUEUED = "queued"
RUNNING = "running"
DONE = "done"

recipe_import_table = Table(
    "recipe_import",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "cook_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("format", String(16), nullable=False),
    Column("filename", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("imported", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("problems", JSON, nullable=False),
    Column("pending", Text, nullable=False),
    Column("claim", String(32)),
    Column("lease_until", UTCDateTime()),
    created_at_column(),
    Column("finished_at", UTCDateTime()),
    # The runner's one query: unfinished jobs whose lease is over.
    Index("ix_recipe_import_status_lease_until", "status", "lease_until"),
)
