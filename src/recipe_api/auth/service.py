"""Signup and login: the account rules, independent of HTTP.

The API routers and the web pages call these same functions; each failure is
an ``AppError`` that either face turns into its own answer.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from recipe_api import observability
from recipe_api.auth.schemas import MAX_PASSWORD_LENGTH, SignupIn
from recipe_api.auth.security import Passwords
from recipe_api.auth.throttle import LoginThrottle, SignupThrottle
from recipe_api.db.engine import Database
from recipe_api.errors import (
    ConflictError,
    InvalidCredentialsError,
    ServiceBusyError,
    TooManyAttemptsError,
)
from recipe_api.schemas import is_storable_text
from recipe_api.users import repository as users
from recipe_api.users.emails import MAX_EMAIL_LENGTH, normalize_email
from recipe_api.users.schemas import UserOut


def _email_taken(email: str) -> ConflictError:
    return ConflictError(f"An account with the email {email} already exists")


async def signup(
    db: Database,
    passwords: Passwords,
    data: SignupIn,
    *,
    throttle: SignupThrottle | None = None,
    client: str = "unknown",
) -> UserOut:
    """Creates the account ``data`` describes (its email is already normalised by ``SignupIn``).

    ``throttle`` limits signups per client address; every attempt counts,
    because a taken email answers 409 and so tells whether an account exists.
    """
    if throttle is not None:
        wait = await throttle.reserve(client)
        if wait:
            raise TooManyAttemptsError(f"Too many signups; try again in {wait} s", retry_after=wait)
    # Hashed before the lookup: a taken email costs the same time as a new one.
    hashed = await passwords.hash_async(data.password)

    def create(connection: Connection) -> UserOut:
        if users.get_user_by_email(connection, data.email) is not None:
            raise _email_taken(data.email)
        row = users.add_user(
            connection,
            email=data.email,
            first_name=data.first_name,
            surname=data.surname,
            hashed_password=hashed,
        )
        return UserOut.model_validate(row)

    try:
        return await db.run(create)
    except IntegrityError:  # the same email signed up between our check and insert
        raise _email_taken(data.email) from None


async def log_in(
    db: Database,
    passwords: Passwords,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    client: str,
) -> UserOut:
    """The user these credentials belong to.

    The attempt is counted before the password is checked, so simultaneous
    guesses cannot outrun the limit; a success gives it back. A wrong
    password and an unknown email cost the same Argon2 work and raise the
    same ``InvalidCredentialsError``. A password longer than any account can
    have (``MAX_PASSWORD_LENGTH``, the signup limit) is a failed login
    without hashing: it cannot match, and hashing it would cost the most.
    Raises ``TooManyAttemptsError`` when throttled, ``ServiceBusyError`` when
    too many password checks are waiting (that attempt is not counted).
    """
    email = normalize_email(email)
    wait = await throttle.reserve(email, client)
    if wait:
        observability.login_throttled()
        raise TooManyAttemptsError(
            f"Too many failed logins; try again in {wait} s", retry_after=wait
        )
    # A password no account can have (too long, or what Text refuses at signup) is
    # a failed login without hashing; an email no account can have is not looked up.
    if len(password) > MAX_PASSWORD_LENGTH or not is_storable_text(password):
        raise InvalidCredentialsError()
    plausible = len(email) <= MAX_EMAIL_LENGTH and is_storable_text(email)
    row = await db.run(users.get_user_by_email, email) if plausible else None
    stored = None if row is None else row["hashed_password"]
    try:
        valid, renewed = await passwords.verify_async(password, stored)
    except ServiceBusyError:
        # Nothing was checked: a busy service must not lock the owner out.
        await throttle.not_checked(email, client)
        raise
    if not valid or row is None:
        raise InvalidCredentialsError()
    if renewed is not None:
        await db.run(users.set_password_hash, row["id"], renewed)
    await throttle.succeeded(email, client)
    return UserOut.model_validate(row)


async def user_by_id(db: Database, user_id: int) -> UserOut | None:
    row = await db.run(users.get_user, user_id)
    return None if row is None else UserOut.model_validate(row)
