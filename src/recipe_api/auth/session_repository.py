"""Queries on web sessions. No function here commits: ``Database.run`` does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, bindparam, delete, insert, select

from recipe_api.auth.models import web_session_table
from recipe_api.db.base import delete_batch
from recipe_api.users.models import user_table

_s = web_session_table.c
# One round trip per page view: the session and its user together.
_USER_BY_SESSION = (
    select(user_table)
    .join(web_session_table, _s.user_id == user_table.c.id)
    .where(_s.id == bindparam("session_id"), _s.expires_at > bindparam("now"))
)


def add_session(
    connection: Connection, *, session_id: str, user_id: int, expires_at: datetime
) -> None:
    connection.execute(
        insert(web_session_table).values(id=session_id, user_id=user_id, expires_at=expires_at)
    )


def user_of_session(connection: Connection, session_id: str, now: datetime) -> RowMapping | None:
    params = {"session_id": session_id, "now": now}
    return connection.execute(_USER_BY_SESSION, params).mappings().first()


def delete_session(connection: Connection, session_id: str) -> None:
    connection.execute(delete(web_session_table).where(_s.id == session_id))


def delete_expired_sessions(connection: Connection, user_id: int, now: datetime) -> None:
    connection.execute(delete(web_session_table).where(_s.user_id == user_id, _s.expires_at <= now))


def delete_expired_batch(connection: Connection, now: datetime, limit: int) -> int:
    """Deletes up to ``limit`` sessions expired by ``now`` (any user's); returns how many.

    The oldest first, found through ``ix_web_session_expires_at``.
    """
    expired = [_s.expires_at <= now]
    return delete_batch(connection, web_session_table, expired, _s.expires_at, limit)


def delete_user_sessions(connection: Connection, user_id: int, keep: str | None = None) -> None:
    """Ends every session of the user but ``keep`` (the one changing the password)."""
    statement = delete(web_session_table).where(_s.user_id == user_id)
    if keep is not None:
        statement = statement.where(_s.id != keep)
    connection.execute(statement)
