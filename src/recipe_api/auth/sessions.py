"""Website sessions kept on the server: opening one at login, finding its user, ending it.

The browser's cookie carries a random token; the database keeps its SHA-256.
Ending a session deletes the row, so a copied cookie stops working at log-out.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from recipe_api.auth import session_repository as repository
from recipe_api.db.engine import Database
from recipe_api.users.schemas import UserOut

TOKEN_BYTES = 32
# A token longer than this is not one of ours: refuse it before hashing.
MAX_TOKEN_LENGTH = 64


def session_id(token: str) -> str:
    """What the table keeps of a session token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(db: Database, user_id: int, lifetime: timedelta) -> str:
    """A new session for ``user_id``; returns the token for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = datetime.now(UTC)

    def store(connection: Connection) -> None:
        # The user's expired sessions go at each login, so rows do not pile up.
        repository.delete_expired_sessions(connection, user_id, now)
        repository.add_session(
            connection, session_id=session_id(token), user_id=user_id, expires_at=now + lifetime
        )

    await db.run(store)
    return token


async def session_user(db: Database, token: str) -> UserOut | None:
    """The user of a live session; None for an unknown, ended or expired token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = await db.run(repository.user_of_session, session_id(token), datetime.now(UTC))
    return None if row is None else UserOut.model_validate(row)


async def close_session(db: Database, token: str) -> None:
    if token and len(token) <= MAX_TOKEN_LENGTH:
        await db.run(repository.delete_session, session_id(token))
