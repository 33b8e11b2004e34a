from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    UrlConstraints,
)

from recipe_api.schemas import MAX_ID, ShortText, Text

Label = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
# What the search accepts: the API's query parameter and the site's search box.
SearchKeyword = Annotated[
    Text, StringConstraints(strip_whitespace=True, min_length=3, max_length=256)
]
RecipeUrl = Annotated[
    HttpUrl,
    UrlConstraints(max_length=2048, allowed_schemes=["http", "https"]),
]


class RecipeBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label = Field(examples=["Chicken Vesuvio"])
    source: ShortText = Field(default="", examples=["Serious Eats"])
    url: RecipeUrl = Field(examples=["https://www.seriouseats.com/chicken-vesuvio-recipe"])


class RecipeCreate(RecipeBase):
    submitter_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Whom to record as the submitter (default: you); "
        "only a superuser may name someone else.",
    )


class RecipeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    source: ShortText | None = None
    url: RecipeUrl | None = None


class RecipeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    source: str
    url: str
    submitter_id: int
    created_at: datetime
    updated_at: datetime


class RecipeDetail(RecipeOut):
    """A recipe with its submitter's name, for the recipe's page."""

    first_name: str | None
    surname: str | None

    @property
    def submitter_name(self) -> str | None:
        name = " ".join(part for part in (self.first_name, self.surname) if part)
        return name or None


class RecipeSearchResults(BaseModel):
    results: list[RecipeOut]


class RecipeWindow(BaseModel):
    """One page of the newest-first list, with the cursors of its neighbours.

    ``older_than`` / ``newer_than`` are the recipe ids to page from; None
    when there is nothing further that way.
    """

    items: list[RecipeOut]
    older_than: int | None
    newer_than: int | None
