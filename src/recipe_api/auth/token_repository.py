"""Queries on emailed account tokens. No function here commits: ``Database.run`` does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from recipe_api.auth.models import account_token_table
from recipe_api.db.base import delete_batch

_t = account_token_table.c


def add_token(
    connection: Connection, *, token_id: str, user_id: int, purpose: str, expires_at: datetime
) -> None:
    connection.execute(
        insert(account_token_table).values(
            id=token_id, user_id=user_id, purpose=purpose, expires_at=expires_at
        )
    )


def token_user(connection: Connection, token_id: str, purpose: str, now: datetime) -> int | None:
    """The user a live token is for, without using it up."""
    statement = select(_t.user_id).where(
        _t.id == token_id, _t.purpose == purpose, _t.expires_at > now
    )
    user_id = connection.execute(statement).scalar_one_or_none()
    return None if user_id is None else int(user_id)


def use_token(connection: Connection, token_id: str, purpose: str, now: datetime) -> int | None:
    """Deletes a live token and returns its user: of two requests using it, one gets it."""
    statement = (
        delete(account_token_table)
        .where(_t.id == token_id, _t.purpose == purpose, _t.expires_at > now)
        .returning(_t.user_id)
    )
    user_id = connection.execute(statement).scalar_one_or_none()
    return None if user_id is None else int(user_id)


def delete_tokens(connection: Connection, user_id: int, purpose: str) -> None:
    connection.execute(
        delete(account_token_table).where(_t.user_id == user_id, _t.purpose == purpose)
    )


def delete_expired_tokens(connection: Connection, user_id: int, now: datetime) -> None:
    connection.execute(
        delete(account_token_table).where(_t.user_id == user_id, _t.expires_at <= now)
    )


def delete_expired_batch(connection: Connection, now: datetime, limit: int) -> int:
    """Deletes up to ``limit`` tokens expired by ``now`` (any user's, any purpose).

    A used token is already gone (``use_token`` deletes it), so expiry is all that
    is left to prune; the oldest first, through ``ix_account_token_expires_at``.
    """
    expired = [_t.expires_at <= now]
    return delete_batch(connection, account_token_table, expired, _t.expires_at, limit)
