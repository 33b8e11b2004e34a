"""Reading a posted form and turning a schema's validation errors into per-field messages."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

# Friendlier words than the validator's for the fields people mistype most.
_MESSAGES = {
    "email": "Enter an email address like cook@example.com",
    "url": "Enter a full web address starting with http:// or https://",
}
_BY_TYPE = {
    ("password", "string_too_short"): "Use at least 8 characters",
    ("new_password", "string_too_short"): "Use at least 8 characters",
    ("new_password", "missing"): "Enter a new password",
    ("current_password", "missing"): "Enter your current password",
    ("label", "string_too_short"): "Give the recipe a name",
}


async def read_form(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
    """The named fields as posted (missing ones empty); anything else is ignored."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in fields:
        value = form.get(name, "")
        values[name] = value if isinstance(value, str) else ""
    return values


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One message per field, the first the schema reported."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if field in errors:
            continue
        message = _BY_TYPE.get((field, error["type"])) or _MESSAGES.get(field) or error["msg"]
        errors[field] = message
    return errors


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in; anything else goes home."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
