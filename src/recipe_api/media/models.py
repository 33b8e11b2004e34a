"""The ``photo`` table (one per recipe) and ``photo_file`` (its WebP renditions, one per width).

The renditions live in the database, so every worker on every machine reads
them from where it reads the recipe (docs/decisions/0019-photos.md).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String, Table

from recipe_api.db.base import created_at_column, metadata

photo_table = Table(
    "photo",
    metadata,
    Column("id", Integer, primary_key=True),
    # One photo a recipe: a new one replaces it (a new id, so new URLs).
    Column(
        "recipe_id",
        Integer,
        ForeignKey("recipe.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    # The recipe's submitter when it was stored: what the per-cook count counts.
    Column(
        "cook_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    # The first 16 hex digits of the SHA-256 of the renditions: in every URL.
    Column("content_hash", String(16), nullable=False),
    # The largest rendition's size: the aspect ratio every smaller one shares.
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("origin", String(16), nullable=False),  # "upload" or "import"
    created_at_column(),
)

photo_file_table = Table(
    "photo_file",
    metadata,
    Column(
        "photo_id",
        Integer,
        ForeignKey("photo.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("width", Integer, primary_key=True),
    Column("height", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
