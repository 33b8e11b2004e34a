"""Signup and login: the account rules, independent of HTTP."""

from __future__ import annotations

from anyio import to_thread
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from recipe_api.auth.schemas import SignupIn
from recipe_api.auth.security import Passwords
from recipe_api.auth.throttle import LoginThrottle
from recipe_api.db.engine import Database
from recipe_api.errors import ConflictError, InvalidCredentialsError, TooManyAttemptsError
from recipe_api.users import repository as users
from recipe_api.users.schemas import UserOut

MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 256


def _email_taken(email: str) -> ConflictError:
    return ConflictError(f"An account with the email {email} already exists")


async def signup(db: Database, passwords: Passwords, data: SignupIn) -> UserOut:
    email = data.email.lower()
    if await db.run(users.get_user_by_email, email) is not None:
        raise _email_taken(email)
    # Argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    hashed = await to_thread.run_sync(passwords.hash, data.password)

    def create(connection: Connection) -> UserOut:
        row = users.add_user(
            connection,
            email=email,
            first_name=data.first_name,
            surname=data.surname,
            hashed_password=hashed,
        )
        return UserOut.model_validate(row)

    try:
        return await db.run(create)
    except IntegrityError:  # the same email signed up between our check and insert
        raise _email_taken(email) from None


async def authenticate(
    db: Database, passwords: Passwords, email: str, password: str
) -> UserOut | None:
    """The user these credentials belong to, or None; the same work either way."""
    plausible = len(email) <= MAX_EMAIL_LENGTH and "\x00" not in email
    row = await db.run(users.get_user_by_email, email) if plausible else None
    password = password[:MAX_PASSWORD_LENGTH]
    stored = None if row is None else row["hashed_password"]
    valid, renewed = await to_thread.run_sync(passwords.verify, password, stored)
    if not valid or row is None:
        return None
    if renewed is not None:
        await db.run(users.set_password_hash, row["id"], renewed)
    return UserOut.model_validate(row)


async def log_in(
    db: Database,
    passwords: Passwords,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    client: str,
) -> UserOut:
    """The user these credentials name, counted by the throttle; the API and the site share it.

    Raises ``TooManyAttemptsError`` while the email or the client is throttled,
    ``InvalidCredentialsError`` on a wrong email or password.
    """
    email = email.strip().lower()
    retry_after = await throttle.retry_after(email, client)
    if retry_after:
        raise TooManyAttemptsError(
            f"Too many failed logins; try again in {retry_after} s", retry_after=retry_after
        )
    user = await authenticate(db, passwords, email, password)
    if user is None:
        await throttle.failed(email, client)
        raise InvalidCredentialsError()
    await throttle.succeeded(email, client)
    return user


async def user_by_id(db: Database, user_id: int) -> UserOut | None:
    row = await db.run(users.get_user, user_id)
    return None if row is None else UserOut.model_validate(row)
