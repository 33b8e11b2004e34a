"""The ``recipe_import`` table: one row per upload, its recipes and how far it got.

``pending`` holds the recipes read from the upload (JSON, our create shape),
so any worker can carry the job on; ``position`` is how many of them are
done, moved forward in the same transaction as the recipes it covers, so a
job picked up again after a restart never creates a recipe twice. A worker
holds the job under ``claim`` until ``lease_until`` (as the outbox's sender
holds its emails).

``recipe_import_photo`` holds the photos of the recipes still to be created,
one row per recipe (its position in ``pending``): the runner reads a batch's
rows, stores them through the media package and deletes them as it goes, so
neither the job's JSON nor the worker's memory holds every photo at once
(decision 0027). ``recipe_id`` is set when the batch creates the recipe, in
the same transaction: a photo whose recipe exists but which is not stored yet
is what a worker stopping between the two leaves, and is stored on resuming.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

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
    # The housekeeping's: finished jobs by age.
    Index("ix_recipe_import_finished_at", "finished_at"),
)

recipe_import_photo_table = Table(
    "recipe_import_photo",
    metadata,
    Column(
        "job_id",
        Integer,
        ForeignKey("recipe_import.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column(
        "recipe_id", Integer, ForeignKey("recipe.id", ondelete="CASCADE"), nullable=True, index=True
    ),
    Column("data", LargeBinary, nullable=False),
)
