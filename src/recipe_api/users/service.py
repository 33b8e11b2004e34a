"""Account administration from the command line: each function is one unit of work.

Setting a password is auth's (``auth.service.set_password``): it ends sessions and tokens.
"""

from __future__ import annotations

from sqlalchemy import Connection

from recipe_api.users import repository as users


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
