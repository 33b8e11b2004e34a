"""Account administration from the command line: each function is one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from recipe_api.auth.service import password_changed
from recipe_api.users import repository as users


def set_password(connection: Connection, email: str, hashed_password: str) -> bool:
    """Replace the password of the user with this email; False when there is none.

    As any password change does, it ends the user's sessions, access tokens and
    reset links: an operator sets one when an account is lost or taken over.
    """
    user = users.get_user_by_email(connection, email)
    if user is None:
        return False
    password_changed(connection, user["id"], hashed_password, datetime.now(UTC), None)
    return True


def promote_or_create_superuser(
    connection: Connection, email: str, hashed_password: str | None
) -> bool:
    """Make the user with this email a superuser, creating it when there is none.

    Returns True when it created the user. An existing user keeps its password.
    """
    user = users.get_user_by_email(connection, email)
    if user is not None:
        users.set_superuser(connection, user["id"])
        return False
    users.add_user(connection, email=email, is_superuser=True, hashed_password=hashed_password)
    return True
