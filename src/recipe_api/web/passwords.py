"""Confirming an email; forgetting, resetting and changing a password: on the API's services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from recipe_api.auth import service as accounts
from recipe_api.auth.dependencies import (
    AccountMailDep,
    ClientAddress,
    LoginThrottleDep,
    PasswordsDep,
    ResetThrottleDep,
)
from recipe_api.auth.errors import InvalidTokenError, WrongPasswordError
from recipe_api.auth.schemas import ChangePasswordIn, PasswordResetConfirmIn, PasswordResetIn
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.errors import ServiceBusyError, TooManyAttemptsError
from recipe_api.web.forms import field_errors, read_form
from recipe_api.web.signed_in import SESSION_COOKIE, SignedInUser, WebUser
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)

# Longer than any token of ours: the page says the link is invalid without a lookup.
Token = Annotated[str, Query(max_length=200)]


def _busy(exc: ServiceBusyError) -> str:
    return f"The site is busy right now. Please try again in {exc.retry_after} seconds."


@router.get("/verify-email", response_class=HTMLResponse)
async def verify_email_form(request: Request, user: WebUser, token: Token = "") -> HTMLResponse:
    return page(request, "verify_email.html", token=token, verified=None, error=None)


@router.post("/verify-email", response_class=HTMLResponse)
async def verify_email(request: Request, db: DatabaseDep, user: WebUser) -> HTMLResponse:
    values = await read_form(request, ("token",))
    try:
        verified = await accounts.verify_email(db, values["token"])
    except InvalidTokenError as exc:
        return page(
            request,
            "verify_email.html",
            status.HTTP_400_BAD_REQUEST,
            token="",
            verified=None,
            error=exc.detail,
        )
    return page(request, "verify_email.html", token="", verified=verified, error=None)


@router.get("/forgot-password", response_class=HTMLResponse)
async def forgot_password_form(request: Request, user: WebUser) -> HTMLResponse:
    return page(
        request, "forgot_password.html", values={}, errors={}, error=None, sent=False, minutes=0
    )


@router.post("/forgot-password", response_class=HTMLResponse)
async def forgot_password(
    request: Request,
    db: DatabaseDep,
    throttle: ResetThrottleDep,
    mail: AccountMailDep,
    client: ClientAddress,
    user: WebUser,
) -> HTMLResponse:
    values = await read_form(request, ("email",))
    again: dict[str, Any] = {"values": values, "sent": False, "minutes": 0}
    try:
        data = PasswordResetIn.model_validate(values)
    except ValidationError as exc:
        return page(
            request,
            "forgot_password.html",
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            errors=field_errors(exc),
            error=None,
            **again,
        )
    try:
        await accounts.request_password_reset(db, throttle, mail, email=data.email, client=client)
    except TooManyAttemptsError as exc:
        return page(
            request,
            "forgot_password.html",
            status.HTTP_429_TOO_MANY_REQUESTS,
            headers=exc.headers,
            errors={},
            error=f"Too many requests. Try again in {exc.retry_after} seconds.",
            **again,
        )
    minutes = int(mail.reset_lifetime.total_seconds() // 60)
    return page(
        request,
        "forgot_password.html",
        status.HTTP_202_ACCEPTED,
        values={},
        errors={},
        error=None,
        sent=True,
        minutes=minutes,
    )


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_password_form(
    request: Request, db: DatabaseDep, user: WebUser, token: Token = ""
) -> HTMLResponse:
    live = await accounts.reset_token_is_live(db, token)
    return page(
        request,
        "reset_password.html",
        status.HTTP_200_OK if live else status.HTTP_400_BAD_REQUEST,
        token=token,
        live=live,
        errors={},
    )


@router.post("/reset-password", response_class=HTMLResponse, response_model=None)
async def reset_password(
    request: Request,
    db: DatabaseDep,
    passwords: PasswordsDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
    user: WebUser,
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("token", "new_password"))
    try:
        data = PasswordResetConfirmIn.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc)
        live = "token" not in errors
        return page(
            request,
            "reset_password.html",
            status.HTTP_422_UNPROCESSABLE_CONTENT if live else status.HTTP_400_BAD_REQUEST,
            token=values["token"],
            live=live,
            errors=errors,
        )
    try:
        await accounts.reset_password(
            db,
            passwords,
            token=data.token,
            password=data.new_password,
            throttle=throttle,
            client=client,
        )
    except InvalidTokenError:
        return page(
            request,
            "reset_password.html",
            status.HTTP_400_BAD_REQUEST,
            token="",
            live=False,
            errors={},
        )
    except ServiceBusyError as exc:
        return page(
            request,
            "reset_password.html",
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=exc.headers,
            token=data.token,
            live=True,
            errors={"new_password": _busy(exc)},
        )
    return RedirectResponse("/login?password_reset=1", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/account/password", response_class=HTMLResponse)
async def change_password_form(request: Request, user: SignedInUser) -> HTMLResponse:
    changed = "changed" in request.query_params
    notice = "Password changed. Your other sessions are logged out." if changed else None
    return page(request, "change_password.html", errors={}, error=None, notice=notice)


@router.post("/account/password", response_class=HTMLResponse, response_model=None)
async def change_password(
    request: Request,
    db: DatabaseDep,
    passwords: PasswordsDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
    user: SignedInUser,
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("current_password", "new_password"))

    def again(
        code: int,
        *,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return page(
            request,
            "change_password.html",
            code,
            headers=headers,
            errors=errors or {},
            error=error,
            notice=None,
        )

    try:
        data = ChangePasswordIn.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        return again(status.HTTP_422_UNPROCESSABLE_CONTENT, errors=field_errors(exc))
    try:
        await accounts.change_password(
            db,
            passwords,
            throttle,
            user,
            current_password=data.current_password,
            new_password=data.new_password,
            client=client,
            keep_session=request.cookies.get(SESSION_COOKIE),
        )
    except WrongPasswordError as exc:
        return again(status.HTTP_400_BAD_REQUEST, errors={"current_password": exc.detail})
    except TooManyAttemptsError as exc:
        error = f"Too many wrong passwords. Try again in {exc.retry_after} seconds."
        return again(status.HTTP_429_TOO_MANY_REQUESTS, error=error, headers=exc.headers)
    except ServiceBusyError as exc:
        return again(status.HTTP_503_SERVICE_UNAVAILABLE, error=_busy(exc), headers=exc.headers)
    return RedirectResponse("/account/password?changed=1", status_code=status.HTTP_303_SEE_OTHER)
