"""One email, one identity: the form every address takes before it is stored or compared."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints

from recipe_api.schemas import Text

MAX_EMAIL_LENGTH = 320


def normalize_email(raw: str) -> str:
    """NFKC and case folding of the whole address, surrounding whitespace removed.

    ``COOK@Example.com`` and the same address in fullwidth letters (U+FF43
    and so on) are both ``cook@example.com``. The local part is folded too: an account per case
    of one mailbox helps nobody and invites look-alikes. NFKC runs again
    after folding because folding can leave a string that is not NFKC.
    """
    folded = unicodedata.normalize("NFKC", raw.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def _valid_email(value: str) -> str:
    email = normalize_email(value)
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValueError(f"must be at most {MAX_EMAIL_LENGTH} characters")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    return email


Email = Annotated[
    Text,
    StringConstraints(max_length=MAX_EMAIL_LENGTH),
    AfterValidator(_valid_email),
    Field(json_schema_extra={"format": "email"}),
]
