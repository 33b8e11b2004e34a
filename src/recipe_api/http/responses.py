"""The error answers of the API, documented once: the OpenAPI document is the contract.

Every error the API sends is ``{"detail": "..."}`` (:class:`ErrorOut`), except
request validation (422), which is FastAPI's list of field errors. A few
operations also refuse with a 422 that the schema alone cannot express (a
submitter that does not exist, a subreddit list rule): those document both
shapes.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.constants import REF_PREFIX
from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str = Field(examples=["Recipe with ID 42 not found"])


_DESCRIPTIONS = {
    400: "The body could not be parsed",
    401: "Not logged in, or the token is not valid",
    403: "Not allowed to do this",
    404: "Not found",
    409: "Conflicts with what exists",
    413: "The body is larger than the limit",
    429: "Too many attempts; see Retry-After",
    502: "The upstream service failed",
    503: "The service cannot answer now (e.g. the database); see Retry-After",
    504: "The upstream service did not answer in time",
}


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for these status codes, each with the shared error body.

    ``descriptions`` overrides the wording by code, as ``_404="Recipe not found"``.
    """
    documented: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description = descriptions.get(f"_{code}", _DESCRIPTIONS[code])
        documented[code] = {"model": ErrorOut, "description": description}
        if code in (429, 503):
            documented[code]["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            }
    return documented


def validation_or_rule_error(description: str) -> dict[int | str, dict[str, Any]]:
    """A 422 that is either field validation (a list) or a rule beyond the schema (a string)."""
    return {
        422: {
            "description": description,
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": f"{REF_PREFIX}HTTPValidationError"},
                            {"$ref": f"{REF_PREFIX}ErrorOut"},
                        ]
                    }
                }
            },
        }
    }
