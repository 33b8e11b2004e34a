"""The API's error answers: JSON ``detail`` for a domain error, an HTTP error or bad input.

``add_json_error_handlers`` puts them on an app; the website, when it is built
too, replaces them with its own that answer a browser with a page and
delegate to these for the rest.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from recipe_api.errors import AppError
from recipe_api.http.validation import validation_error_handler


async def app_error_json(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def http_error_json(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return await http_exception_handler(request, exc)


async def validation_error_json(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return await validation_error_handler(request, exc)


def add_json_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error_json)
    app.add_exception_handler(HTTPException, http_error_json)
    app.add_exception_handler(RequestValidationError, validation_error_json)
