from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StrictBool,
    StringConstraints,
    UrlConstraints,
)

from recipe_api.schemas import MAX_ID, ShortText, Text

Label = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
RecipeUrl = Annotated[
    HttpUrl,
    UrlConstraints(max_length=2048, allowed_schemes=["http", "https"]),
]
Description = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=10_000)]
# Blank lines (and blank tags) are dropped after stripping rather than refused:
# a line of one space is valid input by the schema's own length rules.
IngredientLine = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=500)]
Step = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=5_000)]


def _not_a_boolean(value: object) -> object:
    # JSON true is not a number of minutes (lax mode would read it as 1); 30.0 is.
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer, not a boolean")
    return value


Minutes = Annotated[int, Interval(ge=0, le=100_000), BeforeValidator(_not_a_boolean)]
MAX_LINES = 200


def normalize_tag(tag: str) -> str:
    """Tags are one spelling each: case-folded, inner spaces collapsed."""
    return " ".join(tag.casefold().split())


def _unique_tags(tags: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        if normalized := normalize_tag(tag):
            seen.setdefault(normalized, None)
    return list(seen)


def _without_blanks(lines: list[str]) -> list[str]:
    return [line for line in lines if line]


Tag = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=64)]
Tags = Annotated[list[Tag], Field(max_length=30), AfterValidator(_unique_tags)]
Ingredients = Annotated[
    list[IngredientLine], Field(max_length=MAX_LINES), AfterValidator(_without_blanks)
]
Instructions = Annotated[list[Step], Field(max_length=MAX_LINES), AfterValidator(_without_blanks)]


class RecipeDetails(BaseModel):
    """What a cook needs beyond the label; every field optional on input."""

    model_config = ConfigDict(extra="forbid")

    description: Description = Field(default="", examples=["A Chicago classic."])
    ingredients: Ingredients = Field(
        default_factory=list,
        description="One line each, as written, in order.",
        examples=[["4 chicken thighs", "2 cloves garlic, minced"]],
    )
    instructions: Instructions = Field(
        default_factory=list, description="The steps, in order.", examples=[["Brown the chicken."]]
    )
    tags: Tags = Field(
        default_factory=list,
        description="Stored case-folded, without repeats.",
        examples=[["chicken", "italian-american"]],
    )
    servings: ShortText = Field(default="", description="The yield, as written", examples=["4"])
    prep_minutes: Minutes | None = None
    cook_minutes: Minutes | None = None
    total_minutes: Minutes | None = Field(
        default=None, description="Default: prep plus cook, when either is given"
    )
    image_url: RecipeUrl | None = None
    cuisine: ShortText | None = Field(default=None, examples=["Italian-American"])
    category: ShortText | None = Field(default=None, examples=["Main course"])


class RecipeCreate(RecipeDetails):
    label: Label = Field(examples=["Chicken Vesuvio"])
    source: ShortText = Field(default="", examples=["Serious Eats"])
    url: RecipeUrl | None = Field(
        default=None, examples=["https://www.seriouseats.com/chicken-vesuvio-recipe"]
    )
    submitter_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Whom to record as the submitter (default: you); "
        "only a superuser may name someone else.",
    )
    # Strict: 0 and "yes" are not booleans (lax mode would read them as ones).
    private: StrictBool = Field(
        default=False,
        description="Seen by you (and superusers) only. Default: public, as recipes always were.",
    )

    def columns(self) -> dict[str, Any]:
        """The row to insert (without the submitter)."""
        values = self.model_dump(mode="json", exclude={"submitter_id"})
        values["url"] = values["url"] or ""
        values["total_minutes"] = total_minutes(values)
        return values


def total_minutes(values: dict[str, Any]) -> int | None:
    if values.get("total_minutes") is not None:
        return int(values["total_minutes"])
    parts = [values.get("prep_minutes"), values.get("cook_minutes")]
    given = [int(part) for part in parts if part is not None]
    return sum(given) if given else None


# Columns that cannot be empty: null in an update means "leave it" (as in API v1).
_REQUIRED = {
    "label",
    "source",
    "url",
    "description",
    "ingredients",
    "instructions",
    "tags",
    "servings",
    "private",
}


class RecipeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    source: ShortText | None = None
    url: RecipeUrl | None = None
    description: Description | None = None
    ingredients: Ingredients | None = None
    instructions: Instructions | None = None
    tags: Tags | None = None
    servings: ShortText | None = None
    prep_minutes: Minutes | None = None
    cook_minutes: Minutes | None = None
    total_minutes: Minutes | None = None
    image_url: RecipeUrl | None = None
    cuisine: ShortText | None = None
    category: ShortText | None = None
    private: StrictBool | None = Field(
        default=None, description="True: seen by its cook and superusers only; false: by all"
    )

    def changes(self) -> dict[str, Any]:
        """The columns to set: a null clears an optional field and leaves a required one."""
        given = self.model_dump(mode="json", exclude_unset=True)
        return {
            name: value
            for name, value in given.items()
            if value is not None or name not in _REQUIRED
        }


class RecipeUpdateById(RecipeUpdate):
    """The tutorial's update (``PUT /recipes/``): the recipe named in the body, its new label.

    Any other field of an update may come along; the id is not one of them.
    """

    id: int = Field(ge=1, le=MAX_ID, description="The recipe to update")
    label: Label = Field(examples=["Chicken Vesuvio for two"])

    def update(self) -> RecipeUpdate:
        """The changes alone, as ``PATCH /recipes/{id}`` takes them (already validated)."""
        given = self.model_fields_set - {"id"}
        return RecipeUpdate.model_construct(given, **{name: getattr(self, name) for name in given})


class RecipeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    source: str
    url: str
    submitter_id: int
    created_at: datetime
    updated_at: datetime
    description: str
    ingredients: list[str]
    instructions: list[str]
    tags: list[str]
    servings: str
    prep_minutes: int | None
    cook_minutes: int | None
    total_minutes: int | None
    image_url: str | None
    cuisine: str | None
    category: str | None
    private: bool = Field(description="Seen by its cook and superusers only")


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
    total: int = Field(
        0, description="How many recipes match, counted up to 100 (see `total_is_exact`)"
    )
    total_is_exact: bool = Field(
        True, description="False: `total` or more recipes match (a floor, not a count)"
    )
    words: list[str] = Field(
        default_factory=list, description="The words searched for, stop words left out"
    )
    words_matched: int = Field(
        0,
        description="How many of `words` each result holds: fewer than all when no recipe "
        "holds every word (these hold the most)",
    )
    did_you_mean: str | None = Field(
        None, description="The keyword with its misspelt words corrected, when some were"
    )
    next_cursor: str | None = Field(None, description="The `cursor` of the next page")
    next: str | None = Field(None, description="The path of the next page; null on the last")


class MyRecipes(BaseModel):
    """A page of the caller's recipes: the tutorial's ``results``, and paging beside it."""

    results: list[RecipeOut]
    total: int = Field(description="How many recipes the caller has")
    skip: int
    limit: int
    next: str | None = Field(
        default=None,
        description="The next page (a path with a cursor); null on the last page.",
    )


class RecipeImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: RecipeUrl = Field(
        description="A page with schema.org Recipe markup (JSON-LD or microdata)",
        examples=["https://www.example.com/recipes/shakshuka"],
    )
    html: str | None = Field(
        default=None,
        description="The page's HTML as the cook's browser has it (at most IMPORT_MAX_BYTES "
        "in UTF-8): read instead of fetching `url`, which names the page and picks the "
        "site's own scraper. Nothing is fetched.",
        examples=[None],
    )
    private: StrictBool = Field(
        default=True,
        description="An imported recipe starts private (yours to check first); false: public",
    )


class RecipeWindow(BaseModel):
    """One page of the newest-first list, with the cursors of its neighbours.

    ``older_than`` / ``newer_than`` are the recipe ids to page from; None
    when there is nothing further that way.
    """

    items: list[RecipeOut]
    older_than: int | None
    newer_than: int | None
