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
from recipe_api.db.engine import DatabaseDep
from recipe_api.users.schemas import UserOut

router = APIRouter(prefix="/auth", tags=["auth"])

_THROTTLED: dict[int | str, dict[str, str]] = {
    429: {
        "description": "Too many attempts from this address (or for this email); see Retry-After"
    },
    503: {"description": "Too many password hashes waiting; see Retry-After"},
}


@router.post(
    "/signup",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "The email is taken"}, **_THROTTLED},
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
    responses={401: {"description": "Wrong email or password"}, **_THROTTLED},
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


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return user


_BAD_TOKEN: dict[int | str, dict[str, str]] = {
    400: {"description": "The link's token is unknown, used or expired"}
}
RESET_ACCEPTED = "If an account has this email, a link to reset its password is on its way"


@router.post("/verify", response_model=UserOut, responses=_BAD_TOKEN)
async def verify_email(data: VerifyEmailIn, db: DatabaseDep) -> UserOut:
    """Marks the email verified with the token of the welcome email's link (once)."""
    return await service.verify_email(db, data.token)


@router.post(
    "/password-reset",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={429: _THROTTLED[429]},
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
    responses={**_BAD_TOKEN, 503: _THROTTLED[503]},
)
async def confirm_password_reset(
    data: PasswordResetConfirmIn, db: DatabaseDep, passwords: PasswordsDep
) -> Accepted:
    """Sets a new password with the emailed token; every session and access token ends."""
    await service.reset_password(db, passwords, token=data.token, password=data.new_password)
    return Accepted(detail="Password changed; log in with the new one")


@router.post(
    "/change-password",
    response_model=Token,
    responses={400: {"description": "The current password is wrong"}, **_THROTTLED},
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
