from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from recipe_api.auth import service
from recipe_api.auth.dependencies import (
    ClientAddress,
    CurrentUser,
    LoginThrottleDep,
    PasswordsDep,
    SignupThrottleDep,
    TokensDep,
)
from recipe_api.auth.schemas import SignupIn, Token
from recipe_api.db.engine import DatabaseDep
from recipe_api.responses import errors
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
) -> UserOut:
    return await service.signup(db, passwords, data, throttle=throttle, client=client)


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
