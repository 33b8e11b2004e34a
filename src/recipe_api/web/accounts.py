"""Signing up, logging in and out: the account forms on the same services as the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from recipe_api.auth import service as accounts
from recipe_api.auth import sessions
from recipe_api.auth.dependencies import (
    AccountMailDep,
    ClientAddress,
    LoginThrottleDep,
    PasswordsDep,
    SignupThrottleDep,
)
from recipe_api.auth.errors import InvalidCredentialsError
from recipe_api.auth.schemas import SignupIn
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.errors import ConflictError, ServiceBusyError, TooManyAttemptsError
from recipe_api.settings import Settings
from recipe_api.state import request_state
from recipe_api.web.forms import field_errors, read_form, safe_next
from recipe_api.web.signed_in import (
    SESSION_COOKIE,
    WebUser,
    clear_session_cookie,
    set_session_cookie,
)
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)

SIGNUP_FIELDS = ("email", "password", "first_name", "surname")
Next = Annotated[str, Query(alias="next", max_length=2000)]


def _settings(request: Request) -> Settings:
    return request_state(request).settings


def _busy_message(exc: ServiceBusyError) -> str:
    return f"The site is busy right now. Please try again in {exc.retry_after} seconds."


@router.get("/signup", response_class=HTMLResponse)
async def signup_form(request: Request, user: WebUser, next_path: Next = "") -> HTMLResponse:
    return page(request, "signup.html", values={"next": next_path}, errors={}, error=None)


@router.post("/signup", response_class=HTMLResponse, response_model=None)
async def signup(
    request: Request,
    db: DatabaseDep,
    passwords: PasswordsDep,
    throttle: SignupThrottleDep,
    client: ClientAddress,
    mail: AccountMailDep,
    user: WebUser,
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, (*SIGNUP_FIELDS, "next"))
    try:
        data = SignupIn.model_validate(
            {k: v for k, v in values.items() if k in SIGNUP_FIELDS and v.strip()}
        )
    except ValidationError as exc:
        return _signup_again(request, values, errors=field_errors(exc))
    try:
        # The API's signup throttle, per address, applies to the site's form too.
        created = await accounts.signup(
            db, passwords, data, throttle=throttle, client=client, mail=mail
        )
    except ConflictError:
        return _signup_again(request, values, errors={"email": "An account with this email exists"})
    except TooManyAttemptsError as exc:
        error = f"Too many sign-ups from here. Try again in {exc.retry_after} seconds."
        return _signup_again(
            request,
            values,
            error=error,
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers=exc.headers,
        )
    except ServiceBusyError as exc:
        return _signup_again(
            request,
            values,
            error=_busy_message(exc),
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=exc.headers,
        )
    # Signed up is logged in: straight to their recipes, or back to the page they came from.
    target = safe_next(values["next"]) if values["next"] else "/my-recipes"
    return await _logged_in(request, db, created.id, target)


async def _logged_in(
    request: Request, db: DatabaseDep, user_id: int, target: str
) -> RedirectResponse:
    """A new session for ``user_id`` (any older one on this browser closed), then ``target``."""
    settings = _settings(request)
    token = await sessions.open_session(db, user_id, timedelta(days=settings.session_days))
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await sessions.close_session(db, old)
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, token, settings)
    return response


def _signup_again(
    request: Request,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The form again without the password: ``errors`` beside fields, ``error`` above the form."""
    values = {k: v for k, v in values.items() if k != "password"}
    return page(
        request,
        "signup.html",
        status_code,
        headers=headers,
        values=values,
        errors=errors or {},
        error=error,
    )


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, user: WebUser, next_path: Next = "/") -> HTMLResponse:
    notice = None
    if "password_reset" in request.query_params:
        notice = "Password changed. Log in with your new password."
    return page(
        request, "login.html", values={}, error=None, next=safe_next(next_path), notice=notice
    )


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(
    request: Request,
    db: DatabaseDep,
    passwords: PasswordsDep,
    throttle: LoginThrottleDep,
    client: ClientAddress,
    user: WebUser,
) -> HTMLResponse | RedirectResponse:
    values = await read_form(request, ("email", "password", "next"))
    target = safe_next(values["next"])
    try:
        signed_in = await accounts.log_in(
            db,
            passwords,
            throttle,
            email=values["email"],
            password=values["password"],
            client=client,
        )
    except TooManyAttemptsError as exc:
        error = f"Too many failed logins. Try again in {exc.retry_after} seconds."
        return _login_again(
            request, values, error, status.HTTP_429_TOO_MANY_REQUESTS, headers=exc.headers
        )
    except ServiceBusyError as exc:
        return _login_again(
            request, values, _busy_message(exc), status.HTTP_503_SERVICE_UNAVAILABLE, exc.headers
        )
    except InvalidCredentialsError:
        error = "Wrong email or password."
        return _login_again(request, values, error, status.HTTP_401_UNAUTHORIZED)
    return await _logged_in(request, db, signed_in.id, target)


def _login_again(
    request: Request,
    values: dict[str, str],
    error: str,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    kept = {"email": values["email"]}
    return page(
        request,
        "login.html",
        status_code,
        headers=headers,
        values=kept,
        error=error,
        next=safe_next(values["next"]),
        notice=None,
    )


@router.post("/logout", response_model=None)
async def logout(request: Request, db: DatabaseDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await sessions.close_session(db, token)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    clear_session_cookie(response)
    return response
