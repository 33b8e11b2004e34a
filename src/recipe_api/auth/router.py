from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from recipe_api.auth import service
from recipe_api.auth.dependencies import (
    AccountMailDep,
    ClientAddress,
    CurrentUser,
    LoginThrottleDep,
    PasswordsDep,
    ResetThrottleDep,
    SignupThrottleDep,
    TokensDep,
)
from recipe_api.auth.schemas import (
    Accepted,
    ChangePasswordIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    SignupIn,
    Token,
    VerifyEmailIn,
)
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.http.responses import errors
from recipe_api.users.schemas import UserOut

router = APIRouter(prefix="/auth", tags=["auth"], responses=errors(503))

_THROTTLED = {
    "_429": "Too many attempts from this address (or for this email); see Retry-After",
    "_503": "Too many password hashes waiting, or the database is unavailable; see Retry-After",
}


@router.post(
    "/signup",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 409, 413, 429, 503, _409="The email is taken", **_THROTTLED),
)
async def signup(
    data: SignupIn,
    db: DatabaseDep,
    passwords: PasswordsDep,
    throttle: SignupThrottleDep,
    client: ClientAddress,
    mail: AccountMailDep,
) -> UserOut:
    """Creates the account and sends the welcome email with its verification link."""
    return await service.signup(db, passwords, data, throttle=throttle, client=client, mail=mail)


@router.post(
    "/login",
    response_model=Token,
    responses=errors(400, 401, 413, 429, 503, _401="Wrong email or password", **_THROTTLED),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DatabaseDep,
    passwords: PasswordsDep,
    tokens: TokensDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
) -> Token:
    user = await service.log_in(
        db, passwords, throttle, email=form.username, password=form.password, client=client
    )
    return Token(access_token=tokens.issue(user.id))


@router.get("/me", response_model=UserOut, responses=errors(401))
async def me(user: CurrentUser) -> UserOut:
    return user


_BAD_TOKEN = "The body could not be parsed, or the link's token is unknown, used or expired"
RESET_ACCEPTED = "If an account has this email, a link to reset its password is on its way"


@router.post("/verify", response_model=UserOut, responses=errors(400, 413, _400=_BAD_TOKEN))
async def verify_email(data: VerifyEmailIn, db: DatabaseDep) -> UserOut:
    """Marks the email verified with the token of the welcome email's link (once)."""
    return await service.verify_email(db, data.token)


@router.post(
    "/password-reset",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(400, 413, 429, _429="Too many requests from this address or for this email"),
)
async def request_password_reset(
    data: PasswordResetIn,
    db: DatabaseDep,
    throttle: ResetThrottleDep,
    mail: AccountMailDep,
    client: ClientAddress,
) -> Accepted:
    """Emails a reset link if an account has this email; the answer is the same either way."""
    await service.request_password_reset(db, throttle, mail, email=data.email, client=client)
    return Accepted(detail=RESET_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    response_model=Accepted,
    responses=errors(400, 413, 503, _400=_BAD_TOKEN, _503=_THROTTLED["_503"]),
)
async def confirm_password_reset(
    data: PasswordResetConfirmIn,
    db: DatabaseDep,
    passwords: PasswordsDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
) -> Accepted:
    """Sets a new password with the emailed token; every session and access token ends.

    The email's failed logins are cleared: whoever followed the link holds its mailbox.
    """
    await service.reset_password(
        db,
        passwords,
        token=data.token,
        password=data.new_password,
        throttle=throttle,
        client=client,
    )
    return Accepted(detail="Password changed; log in with the new one")


@router.post(
    "/change-password",
    response_model=Token,
    responses=errors(
        400,
        401,
        413,
        429,
        503,
        _400="The body could not be parsed, or the current password is wrong",
        **_THROTTLED,
    ),
)
async def change_password(
    data: ChangePasswordIn,
    user: CurrentUser,
    db: DatabaseDep,
    passwords: PasswordsDep,
    tokens: TokensDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
) -> Token:
    """Changes the password; other sessions and older tokens end, a fresh token is returned."""
    await service.change_password(
        db,
        passwords,
        throttle,
        user,
        current_password=data.current_password,
        new_password=data.new_password,
        client=client,
    )
    return Token(access_token=tokens.issue(user.id))
