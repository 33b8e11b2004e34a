"""``CurrentUser``: the user a bearer token names, or a 401 that says ``Bearer``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from recipe_api.auth import service
from recipe_api.auth.security import Passwords, Tokens
from recipe_api.auth.service import AccountMail
from recipe_api.auth.throttle import LoginThrottle, ResetThrottle, SignupThrottle
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.state import request_state
from recipe_api.users.schemas import UserOut

TOKEN_URL = "/api/v1/auth/login"

# auto_error=False: a missing token gets our own 401 with the same header.
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def unauthorized(detail: str = "Not authenticated") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_tokens(request: Request) -> Tokens:
    return request_state(request).tokens


async def get_passwords(request: Request) -> Passwords:
    return request_state(request).passwords


async def get_login_throttle(request: Request) -> LoginThrottle:
    return request_state(request).login_throttle


async def get_signup_throttle(request: Request) -> SignupThrottle:
    return request_state(request).signup_throttle


async def get_reset_throttle(request: Request) -> ResetThrottle:
    return request_state(request).reset_throttle


async def get_account_mail(request: Request) -> AccountMail:
    return request_state(request).account_mail


def client_address(request: Request) -> str:
    """The address throttling counts (the proxy's client with ``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


TokensDep = Annotated[Tokens, Depends(get_tokens)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
SignupThrottleDep = Annotated[SignupThrottle, Depends(get_signup_throttle)]
ResetThrottleDep = Annotated[ResetThrottle, Depends(get_reset_throttle)]
AccountMailDep = Annotated[AccountMail, Depends(get_account_mail)]
ClientAddress = Annotated[str, Depends(client_address)]


async def current_user(
    token: Annotated[str | None, Depends(bearer)], tokens: TokensDep, db: DatabaseDep
) -> UserOut:
    if not token:
        raise unauthorized()
    subject = tokens.subject(token)
    if subject is None:
        raise unauthorized("Invalid or expired token")
    # A token issued before the user's last password change is refused.
    user = await service.user_for_token(db, *subject)
    if user is None:
        raise unauthorized("Invalid or expired token")
    return user


CurrentUser = Annotated[UserOut, Depends(current_user)]


async def optional_user(request: Request) -> UserOut | None:
    """The user a bearer token names, for reads anyone may make; None without one.

    A token that is not valid (expired, from before a password change) reads
    as no token: a read that was public stays answered as it was.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    state = request_state(request)
    subject = state.tokens.subject(token.strip())
    if subject is None:
        return None
    return await service.user_for_token(state.db, *subject)


OptionalUser = Annotated[UserOut | None, Depends(optional_user)]
