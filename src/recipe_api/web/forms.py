"""Reading a posted form and turning a schema's validation errors into per-field messages."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from pydantic import ValidationError

# Friendlier words than the validator's for the fields people mistype most.
_MESSAGES = {
    "email": "Enter an email address like cook@example.com",
    "url": "Enter a full web address starting with http:// or https://",
    "image_url": "Enter the photo's full web address, starting with http:// or https://",
}
_BY_TYPE = {
    ("password", "string_too_short"): "Use at least 8 characters",
    ("new_password", "string_too_short"): "Use at least 8 characters",
    ("new_password", "missing"): "Enter a new password",
    ("current_password", "missing"): "Enter your current password",
    ("label", "string_too_short"): "Give the recipe a name",
}
# Errors whose own message is already written for the person filling in the form.
_OWN_WORDS = {"email_look_alike"}
MINUTES = ("prep_minutes", "cook_minutes", "total_minutes")
_MINUTES_MESSAGES = {
    "int_parsing": "Enter a whole number of minutes, like 45",
    "int_from_float": "Enter a whole number of minutes, like 45",
    "greater_than_equal": "Enter 0 or more minutes",
    "less_than_equal": "Enter at most 100000 minutes",
}
# What one item of a list field is called in a message: "Line 3: ...".
_ITEM = {"ingredients": "Line", "instructions": "Step", "tags": "Tag"}
_ITEMS = {"ingredients": "lines", "instructions": "steps", "tags": "tags"}


# A multipart part may name a charset (``unicode_escape``) that decodes to lone
# surrogates, which no database stores; a URL-encoded body's bytes become U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")


async def read_form(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
    """The named fields as posted (missing ones empty); anything else is ignored."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in fields:
        value = form.get(name, "")
        values[name] = _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""
    return values


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One message per field, the first the schema reported."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if field in errors:
            continue
        errors[field] = (
            _BY_TYPE.get((field, error["type"]))
            or (error["msg"] if error["type"] in _OWN_WORDS else None)
            or _list_message(field, error)
            or (_MINUTES_MESSAGES.get(error["type"]) if field in MINUTES else None)
            or _MESSAGES.get(field)
            or _length_message(error)
            or error["msg"]
        )
    return errors


def _length_message(error: Any) -> str | None:
    if error["type"] == "string_too_long":
        return f"Use at most {error['ctx']['max_length']:,} characters"
    return None


def _list_message(field: str, error: Any) -> str | None:
    if field not in _ITEM:
        return None
    if error["type"] == "too_long" and len(error["loc"]) == 1:
        return f"At most {error['ctx']['max_length']} {_ITEMS[field]}"
    if len(error["loc"]) > 1 and isinstance(error["loc"][1], int):
        detail = _length_message(error) or error["msg"]
        return f"{_ITEM[field]} {error['loc'][1] + 1}: {detail}"
    return None


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in; anything else goes home."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
