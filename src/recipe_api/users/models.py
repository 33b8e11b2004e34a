"""The ``user`` table.

``email`` is the address as the cook typed it (the domain normalised), the
one every email goes to; ``email_key`` is what accounts are found by and what
the unique index holds (see ``email_address.py``): ``COOK@Example.com`` and
``cook@example.com`` are one account, ``straße@`` and ``strasse@`` two.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, false

from recipe_api.db.base import UTCDateTime, created_at_column, metadata

user_table = Table(
    "user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False, unique=True, index=True),
    Column("first_name", String(256)),
    Column("surname", String(256)),
    Column("is_superuser", Boolean, nullable=False, server_default=false()),
    Column("hashed_password", String(256)),
    created_at_column(),
    # Set when the owner follows the link of the welcome email.
    Column("email_verified_at", UTCDateTime()),
    # Access tokens issued before this are refused (see auth.dependencies).
    Column("password_changed_at", UTCDateTime()),
)
