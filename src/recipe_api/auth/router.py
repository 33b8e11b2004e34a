from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from recipe_api.auth import service
from recipe_api.auth.dependencies import (
    CurrentUser,
    LoginThrottleDep,
    PasswordsDep,
    TokensDep,
)
from recipe_api.auth.schemas import SignupIn, Token
from recipe_api.db.engine import DatabaseDep
from recipe_api.users.schemas import UserOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/signup",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "The email is taken"}},
)
async def signup(data: SignupIn, db: DatabaseDep, passwords: PasswordsDep) -> UserOut:
    return await service.signup(db, passwords, data)


@router.post(
    "/login",
    response_model=Token,
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Throttled"}},
)
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DatabaseDep,
    passwords: PasswordsDep,
    tokens: TokensDep,
    throttle: LoginThrottleDep,
) -> Token:
    user = await service.log_in(
        db,
        passwords,
        throttle,
        email=form.username,
        password=form.password,
        client=request.client.host if request.client else "unknown",
    )
    return Token(access_token=tokens.issue(user.id))


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return user
