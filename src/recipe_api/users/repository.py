"""Queries on users. No function here commits: ``Database.run`` does.

Every account is looked up by its email's key (``email_address.normalize_email``),
whoever the caller is, and stored with the address as typed beside it;
taking the key of a key changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, bindparam, delete, insert, select

from recipe_api.email_address import mailbox_address, normalize_email
from recipe_api.users.models import user_table

_c = user_table.c
_BY_ID = select(user_table).where(_c.id == bindparam("user_id"))
_BY_EMAIL = select(user_table).where(_c.email_key == bindparam("email"))


def get_user(connection: Connection, user_id: int) -> RowMapping | None:
    return connection.execute(_BY_ID, {"user_id": user_id}).mappings().first()


def get_user_by_email(connection: Connection, email: str) -> RowMapping | None:
    return connection.execute(_BY_EMAIL, {"email": normalize_email(email)}).mappings().first()


def add_user(
    connection: Connection,
    *,
    email: str,
    first_name: str | None = None,
    surname: str | None = None,
    is_superuser: bool = False,
    hashed_password: str | None = None,
) -> RowMapping:
    statement = (
        insert(user_table)
        .values(
            email=mailbox_address(email),
            email_key=normalize_email(email),
            first_name=first_name,
            surname=surname,
            is_superuser=is_superuser,
            hashed_password=hashed_password,
        )
        .returning(*user_table.c)
    )
    return connection.execute(statement).mappings().one()


def set_password_hash(connection: Connection, user_id: int, hashed_password: str) -> None:
    connection.execute(
        user_table.update().where(_c.id == user_id).values(hashed_password=hashed_password)
    )


def delete_user(connection: Connection, user_id: int) -> bool:
    return connection.execute(delete(user_table).where(_c.id == user_id)).rowcount > 0


def set_superuser(connection: Connection, user_id: int) -> None:
    connection.execute(user_table.update().where(_c.id == user_id).values(is_superuser=True))


def set_new_password(
    connection: Connection, user_id: int, hashed_password: str, now: datetime
) -> None:
    """A password the owner chose: access tokens issued before ``now`` stop working."""
    connection.execute(
        user_table.update()
        .where(_c.id == user_id)
        .values(hashed_password=hashed_password, password_changed_at=now)
    )


def mark_email_verified(connection: Connection, user_id: int, now: datetime) -> None:
    connection.execute(
        user_table.update()
        .where(_c.id == user_id, _c.email_verified_at.is_(None))
        .values(email_verified_at=now)
    )
