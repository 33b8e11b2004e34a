"""Accounts: signup, login, email verification, password reset and change, independent of HTTP.

The API routers and the web pages call these same functions; each failure is
an ``AppError`` that either face turns into its own answer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from recipe_api import observability
from recipe_api.auth import session_repository, sessions
from recipe_api.auth import token_repository as tokens_repo
from recipe_api.auth.errors import InvalidCredentialsError, InvalidTokenError, WrongPasswordError
from recipe_api.auth.models import RESET_PASSWORD, VERIFY_EMAIL
from recipe_api.auth.schemas import MAX_PASSWORD_LENGTH, SignupIn
from recipe_api.auth.security import Passwords
from recipe_api.auth.throttle import LoginThrottle, ResetThrottle, SignupThrottle
from recipe_api.db.engine import Database
from recipe_api.email import messages
from recipe_api.email import repository as outbox
from recipe_api.email_address import MAX_EMAIL_LENGTH, normalize_email
from recipe_api.errors import ConflictError, ServiceBusyError, TooManyAttemptsError
from recipe_api.schemas import is_storable_text
from recipe_api.users import repository as users
from recipe_api.users.schemas import UserOut

WELCOME = "welcome"
PASSWORD_RESET = "password_reset"
TOKEN_BYTES = 32
# A token longer than this is not one of ours: refused before hashing.
MAX_TOKEN_LENGTH = 64


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class AccountMail:
    """What account emails need: where their links point, how long they work, a nudge.

    ``notify`` is called after a commit that added to the outbox, so this
    worker's sender looks at once instead of at its next poll.
    """

    base_url: str
    verify_lifetime: timedelta = timedelta(hours=48)
    reset_lifetime: timedelta = timedelta(minutes=30)
    notify: Callable[[], None] = field(default=_nothing)

    def link(self, path: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _plausible_token(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii()


def _new_token(
    connection: Connection, user_id: int, purpose: str, now: datetime, lifetime: timedelta
) -> str:
    """A random token for an emailed link; the table keeps only its SHA-256."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    tokens_repo.delete_expired_tokens(connection, user_id, now)
    tokens_repo.add_token(
        connection,
        token_id=_token_id(token),
        user_id=user_id,
        purpose=purpose,
        expires_at=now + lifetime,
    )
    return token


def _email_taken(email: str) -> ConflictError:
    return ConflictError(f"An account with the email {email} already exists")


async def signup(
    db: Database,
    passwords: Passwords,
    data: SignupIn,
    *,
    throttle: SignupThrottle | None = None,
    client: str = "unknown",
    mail: AccountMail | None = None,
) -> UserOut:
    """Creates the account ``data`` describes (its email is already normalised by ``SignupIn``).

    ``throttle`` limits signups per client address; every attempt counts,
    because a taken email answers 409 and so tells whether an account exists.
    With ``mail``, the welcome email with its verification link is written to
    the outbox in the account's own transaction: no account without its
    email, no email without its account.
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
        if mail is not None:
            _enqueue_welcome(connection, row, mail)
        return UserOut.model_validate(row)

    try:
        user = await db.run(create)
    except IntegrityError:  # the same email signed up between our check and insert
        raise _email_taken(data.email) from None
    if mail is not None:
        mail.notify()
    return user


def _enqueue_welcome(connection: Connection, user: RowMapping, mail: AccountMail) -> None:
    now = datetime.now(UTC)
    token = _new_token(connection, user["id"], VERIFY_EMAIL, now, mail.verify_lifetime)
    message = messages.welcome(
        first_name=user["first_name"],
        link=mail.link("/verify-email", token),
        hours=int(mail.verify_lifetime.total_seconds() // 3600),
    )
    outbox.enqueue(connection, kind=WELCOME, recipient=user["email"], message=message, now=now)


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
    row = await db.read(users.get_user_by_email, email) if plausible else None
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


async def user_for_token(db: Database, user_id: int, issued_at: float | None) -> UserOut | None:
    """The user an access token names, unless the password changed after it was issued."""
    row = await db.read(users.get_user, user_id)
    if row is None:
        return None
    changed: datetime | None = row["password_changed_at"]
    if changed is not None and (issued_at is None or issued_at < changed.timestamp()):
        return None
    return UserOut.model_validate(row)


async def verify_email(db: Database, token: str) -> UserOut:
    """Marks the email of the token's user verified; the token is used up.

    Raises ``InvalidTokenError`` for a token that is unknown, used or expired.
    """
    if not _plausible_token(token):
        raise InvalidTokenError()

    def verify(connection: Connection) -> RowMapping | None:
        now = datetime.now(UTC)
        user_id = tokens_repo.use_token(connection, _token_id(token), VERIFY_EMAIL, now)
        if user_id is None:
            return None
        users.mark_email_verified(connection, user_id, now)
        return users.get_user(connection, user_id)

    row = await db.run(verify)
    if row is None:
        raise InvalidTokenError()
    return UserOut.model_validate(row)


async def request_password_reset(
    db: Database,
    throttle: ResetThrottle,
    mail: AccountMail,
    *,
    email: str,
    client: str,
) -> None:
    """Writes a reset request to the outbox, the same for an email with or without an account.

    The request does the same work either way (one insert, no lookup), so
    neither its answer nor its time tells whether the account exists; the
    sender decides when it is due (``compose_password_reset``). Raises
    ``TooManyAttemptsError`` past the limits per email and per client.
    """
    email = normalize_email(email)
    wait = await throttle.reserve(email, client)
    if wait:
        raise TooManyAttemptsError(
            f"Too many password reset requests; try again in {wait} s", retry_after=wait
        )
    await db.run(
        outbox.enqueue,
        kind=PASSWORD_RESET,
        recipient=email,
        message=None,
        now=datetime.now(UTC),
    )
    mail.notify()


def password_reset_composer(
    mail: AccountMail,
) -> Callable[[Connection, RowMapping, datetime], messages.Message | None]:
    """For the sender: the reset email of a due request, or None when no account has the email."""

    def compose(connection: Connection, row: RowMapping, now: datetime) -> messages.Message | None:
        user = users.get_user_by_email(connection, row["recipient"])
        if user is None:
            return None
        token = _new_token(connection, user["id"], RESET_PASSWORD, now, mail.reset_lifetime)
        return messages.password_reset(
            first_name=user["first_name"],
            link=mail.link("/reset-password", token),
            minutes=int(mail.reset_lifetime.total_seconds() // 60),
        )

    return compose


async def reset_token_is_live(db: Database, token: str) -> bool:
    """Whether the reset page should offer a form (the token is checked again on use)."""
    if not _plausible_token(token):
        return False
    found = await db.run(
        tokens_repo.token_user, _token_id(token), RESET_PASSWORD, datetime.now(UTC)
    )
    return found is not None


def password_changed(
    connection: Connection, user_id: int, hashed: str, now: datetime, keep_session: str | None
) -> None:
    """Everything a new password ends: older access tokens, other sessions, reset links."""
    users.set_new_password(connection, user_id, hashed, now)
    tokens_repo.delete_tokens(connection, user_id, RESET_PASSWORD)
    session_repository.delete_user_sessions(connection, user_id, keep=keep_session)


async def reset_password(
    db: Database,
    passwords: Passwords,
    *,
    token: str,
    password: str,
    throttle: LoginThrottle | None = None,
    client: str = "unknown",
) -> UserOut:
    """Sets the password of the reset token's user, uses the token up, ends every session.

    The emailed link proves the mailbox: with ``throttle``, the email's failed
    logins are cleared and ``client`` logs in on a count of its own
    (:meth:`LoginThrottle.mailbox_proved`), so a stranger's wrong passwords
    do not keep the owner out. Raises ``InvalidTokenError`` for a token that
    is unknown, used or expired, or whose user changed the password since it
    was sent.
    """
    # Checked before hashing, so a made-up token costs no Argon2 work.
    if not await reset_token_is_live(db, token):
        raise InvalidTokenError()
    hashed = await passwords.hash_async(password)

    def reset(connection: Connection) -> RowMapping | None:
        now = datetime.now(UTC)
        user_id = tokens_repo.use_token(connection, _token_id(token), RESET_PASSWORD, now)
        if user_id is None:  # used by a request that got there first
            return None
        password_changed(connection, user_id, hashed, now, keep_session=None)
        # Following the emailed link proves the address too.
        users.mark_email_verified(connection, user_id, now)
        return users.get_user(connection, user_id)

    row = await db.run(reset)
    if row is None:
        raise InvalidTokenError()
    if throttle is not None:
        await throttle.mailbox_proved(normalize_email(row["email"]), client)
    return UserOut.model_validate(row)


async def change_password(
    db: Database,
    passwords: Passwords,
    throttle: LoginThrottle,
    user: UserOut,
    *,
    current_password: str,
    new_password: str,
    client: str,
    keep_session: str | None = None,
) -> None:
    """Sets a new password after checking the current one; ends the user's other sessions.

    The check counts on the login throttle, per address and on a per-email
    count of its own (a stranger's wrong logins do not stop the owner
    changing the password), so a stolen session cannot guess the password
    faster than a login could; its success clears the email's failed logins.
    ``keep_session`` is the website session token that asked (it stays open).
    Raises ``WrongPasswordError``, ``TooManyAttemptsError``, ``ServiceBusyError``.
    """
    # The key a login counts under: ``Cook@`` and ``cook@`` are one count.
    email = normalize_email(user.email)
    wait = await throttle.reserve(email, client, change=True)
    if wait:
        raise TooManyAttemptsError(
            f"Too many wrong passwords; try again in {wait} s", retry_after=wait
        )
    row = await db.read(users.get_user, user.id)
    stored = None if row is None else row["hashed_password"]
    valid = False
    if len(current_password) <= MAX_PASSWORD_LENGTH and is_storable_text(current_password):
        try:
            valid, _renewed = await passwords.verify_async(current_password, stored)
        except ServiceBusyError:
            await throttle.not_checked(email, client, change=True)
            raise
    if not valid or row is None:
        raise WrongPasswordError()
    await throttle.succeeded(email, client, change=True)
    hashed = await passwords.hash_async(new_password)
    keep = sessions.session_id(keep_session) if keep_session else None
    await db.run(password_changed, user.id, hashed, datetime.now(UTC), keep)


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
