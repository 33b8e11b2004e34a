"""The ``web_session`` table: the website's server-side sessions.

The cookie holds a random token; the table holds only its SHA-256, so a
copy of the database does not hand out live sessions.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from recipe_api.db.base import UTCDateTime, created_at_column, metadata

web_session_table = Table(
    "web_session",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    created_at_column(),
    # The prune's way to the expired rows (see db/prune.py).
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)

VERIFY_EMAIL = "verify"
RESET_PASSWORD = "reset"

# Tokens emailed to a user (verify the address, reset the password). As with
# sessions, only the SHA-256 of the token is kept; using one deletes its row.
account_token_table = Table(
    "account_token",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("user.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("purpose", String(16), nullable=False),
    created_at_column(),
    # The prune's way to the expired rows (see db/prune.py).
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)
