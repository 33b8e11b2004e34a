"""Error answers: an HTML page in the site's look for browsers; the rest get the API's JSON."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from recipe_api.errors import AppError
from recipe_api.http.errors import app_error_json, http_error_json, validation_error_json
from recipe_api.web.signed_in import LoginRequired
from recipe_api.web.templating import page, render, wants_html

log = logging.getLogger(__name__)

_TITLES = {
    400: "That request was not understood",
    401: "Please log in",
    403: "That is not yours to change",
    404: "Page not found",
    405: "That is not allowed here",
    409: "That already exists",
    422: "That address is not valid",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "The service is busy",
}
_HELP = {
    403: "Only the cook who added a recipe, or an administrator, may change it.",
    404: "There is nothing at this address. The recipe may have been deleted.",
    422: "Part of this address is not what the page expects.",
    500: "The error has been logged. Please try again in a moment.",
}


def error_page(
    request: Request,
    status_code: int,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        request,
        "error.html",
        status_code,
        headers=headers,
        status=status_code,
        title=_TITLES.get(status_code, "Something went wrong"),
        message=_HELP.get(status_code) or detail or "",
    )


def server_error_page() -> bytes:
    """The 500 page as bytes, for the middleware that answers unhandled errors."""
    return render("error.html", status=500, title=_TITLES[500], message=_HELP[500]).encode()


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if wants_html(request.headers):
        return error_page(request, exc.status_code, exc.detail, exc.headers)
    return await app_error_json(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers: dict[str, str] | None = getattr(exc, "headers", None)
    if wants_html(request.headers):
        return error_page(request, exc.status_code, str(exc.detail), headers)
    return await http_error_json(request, exc)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_html(request.headers):
        return error_page(request, 422)
    return await validation_error_json(request, exc)


async def login_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(exc.location, status_code=303)
