"""Types and answer shapes shared by several domains."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field, StringConstraints

ItemT = TypeVar("ItemT")

# The largest id a PostgreSQL ``integer`` column holds; larger path values
# would fail inside the database instead of being refused as bad input.
MAX_ID = 2_147_483_647

# PostgreSQL cannot store NUL in text; refused on every backend alike. The
# pattern also makes pydantic-core read the value as UTF-8, which refuses a
# lone surrogate (JSON "\ud800") with a 422 before any driver has to encode it.
NO_NUL_PATTERN = r"^[^\x00]*$"

# Every string a client sends goes through this type (or NO_NUL_PATTERN for a
# query parameter), so what the database cannot store is a 422 and the
# OpenAPI document says so with the pattern.
Text = Annotated[str, StringConstraints(pattern=NO_NUL_PATTERN)]
ShortText = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=256)]


def is_storable_text(value: str) -> bool:
    """What ``Text`` accepts, for a value that is not validated by a schema (a login form)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    skip: int
    limit: int
    next: str | None = Field(
        default=None,
        description="The next page (a path with a cursor); absent on the last page.",
    )
