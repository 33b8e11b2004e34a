"""One mailbox, one account: the address as typed, and the key it is compared by.

An address is never rewritten into another mailbox. Only two things change
between what a cook types and what is stored and written to:

* the domain is lower-cased and IDNA-normalised (``Bücher.DE`` is
  ``bücher.de``): domains are case-insensitive, and this is the form DNS
  resolves;
* nothing else. The part before the @ is kept as typed (``Straße`` stays
  ``Straße``; NFKC and case folding made it ``strasse``, someone else's
  mailbox) and the emails go to it.

Accounts are found by a key (``normalize_email``): the address with the
ASCII letters before the @ in lower case, so ``COOK@Example.com`` logs in as
``cook@example.com``. Every mail server treats ASCII case as one mailbox
(RFC 5321 discourages anything else); no fold beyond that is safe (``ß`` is
not ``ss`` to a server), so other letters compare exactly. What cannot be
kept apart safely is refused at sign-up: a part before the @ that NFKC
changes (``ﬁ``, fullwidth letters, the Kelvin sign: each stands for other
letters) or that mixes scripts (a Cyrillic ``\u0430`` among Latin letters).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from recipe_api.schemas import Text

MAX_EMAIL_LENGTH = 320
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Scripts written together in one language, and so in one name.
_ONE_SCRIPT = {"CJK": "HAN", "HIRAGANA": "HAN", "KATAKANA": "HAN", "HANGUL": "HAN"}


class LookAlikeEmailError(ValueError):
    """A valid address whose part before the @ could be taken for another mailbox."""


def mailbox_address(raw: str) -> str:
    """The address to store and write to: the domain normalised, the rest as typed.

    Raises ``ValueError`` (with a message for the form) when the address is
    not valid or its part before the @ could be mistaken for another.
    """
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    # email_validator gives the part before the @ in NFC, the form RFC 6532 asks
    # for; a letter typed decomposed (e + a combining accent) is the same text.
    # But NFC also replaces some characters outright (the Kelvin sign by K):
    # those, and whatever NFKC would change, stand for other letters.
    local = valid.local_part
    typed = raw.strip().rpartition("@")[0]
    if unicodedata.normalize("NFKC", local) != local or any(
        unicodedata.normalize("NFC", char) != char for char in typed
    ):
        raise LookAlikeEmailError(
            "the part before the @ has characters that stand for others "
            "(ligatures, fullwidth or styled letters, signs such as K for kelvin); "
            "type it in plain letters"
        )
    if len(_scripts(local)) > 1:
        raise LookAlikeEmailError("the part before the @ mixes letters of different scripts")
    return f"{local}@{valid.domain}"


def normalize_email(raw: str) -> str:
    """The key an account is found by: the address with its ASCII letters before the @
    lower-cased. Never raises: a login may type anything, and finds no account with it.
    """
    try:
        address = mailbox_address(raw)
    except ValueError:
        address = raw.strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return address.translate(_ASCII_LOWER)
    return f"{local.translate(_ASCII_LOWER)}@{domain.translate(_ASCII_LOWER)}"


def _scripts(text: str) -> set[str]:
    """The scripts of ``text``'s letters, by the first word of each letter's Unicode name."""
    scripts = set()
    for char in text:
        if char.isalpha():
            script = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
            scripts.add(_ONE_SCRIPT.get(script, script))
    return scripts


def _valid_email(value: str) -> str:
    try:
        email = mailbox_address(value)
    except LookAlikeEmailError as exc:
        # A type of its own, so the website shows these words rather than its usual hint.
        raise PydanticCustomError("email_look_alike", str(exc)) from None
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValueError(f"must be at most {MAX_EMAIL_LENGTH} characters")
    return email


Email = Annotated[
    Text,
    StringConstraints(max_length=MAX_EMAIL_LENGTH),
    AfterValidator(_valid_email),
    Field(json_schema_extra={"format": "email"}),
]
