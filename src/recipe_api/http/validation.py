"""422 answers in FastAPI's standard shape that never echo much of the input.

FastAPI's own handler puts every offending value back into the answer: a
10 MB field comes back whole, a password comes back in clear, and a value
JSON cannot encode (a lone surrogate, ``inf``) turns the 422 into a 500.
Here each error keeps ``loc``, ``msg``, ``type`` and ``ctx``; its ``input``
is kept only when it is a short scalar, cut to an excerpt, never for a
password field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_EXCERPT = 64
MAX_MESSAGE = 300
_ABSENT = object()


def _encodable(text: str, limit: int) -> str:
    if len(text) > limit:
        text = text[:limit] + "..."
    # A lone surrogate cannot be written as UTF-8: show its escape instead.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_secret(loc: Sequence[Any]) -> bool:
    return any(isinstance(part, str) and "password" in part.lower() for part in loc)


def _excerpt(value: Any) -> Any:
    if isinstance(value, str):
        return _encodable(value, MAX_EXCERPT)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_EXCERPT:
        return f"an integer of {value.bit_length()} bits"
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _encodable(value, MAX_MESSAGE)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def trimmed_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        error = dict(error)
        value = error.pop("input", _ABSENT)
        # Containers (a whole body for a missing field) may hold a password.
        if not _is_secret(error.get("loc", ())) and (
            value is None or isinstance(value, str | int | float | bool)
        ):
            error["input"] = _excerpt(value)
        cleaned.append(_clean(jsonable_encoder(error)))
    return cleaned


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": trimmed_errors(exc.errors())}, status_code=422)
