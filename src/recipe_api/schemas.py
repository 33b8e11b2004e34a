"""Types and answer shapes shared by several domains."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, StringConstraints

ItemT = TypeVar("ItemT")

# The largest id a PostgreSQL ``integer`` column holds; larger path values
# would fail inside the database instead of being refused as bad input.
MAX_ID = 2_147_483_647
NO_NUL_PATTERN = r"^[^\x00]*$"


def _reject_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it on every backend alike.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_reject_nul)
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256), NoNul]


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    skip: int
    limit: int
