"""The ``recipe`` table."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, func

from recipe_api.db.base import UTCDateTime, created_at_column, metadata

recipe_table = Table(
    "recipe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(256), nullable=False),
    # No length: the API bounds what is sent (2048), and its normalised form
    # (a slash added, punycode, percent-escapes) may be longer.
    Column("url", Text, nullable=False),
    Column("source", String(256), nullable=False),
    Column(
        "submitter_id",
        Integer,
        ForeignKey("user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    created_at_column(),
    Column(
        "updated_at",
        UTCDateTime(),
        server_default=func.now(),
        onupdate=func.now(),
        nullable=False,
    ),
    # The list and the home page read newest first.
    Index("ix_recipe_created_at_id", "created_at", "id"),
)
