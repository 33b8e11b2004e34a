"""The meal plan's API shapes: an entry to add or change, a week as answered."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from recipe_api.schemas import MAX_ID

# A small fixed set, in the order a day runs.
MEALS = ("breakfast", "lunch", "dinner", "snack")
Meal = Literal["breakfast", "lunch", "dinner", "snack"]
Servings = Annotated[int, Field(ge=1, le=100, description="Servings to cook for this entry")]


def _written_date(value: object) -> object:
    """A date as text ("2026-12-07"), never a number: 0 would be 1 January 1970."""
    if isinstance(value, int | float):
        raise ValueError("Give the day as a date, like 2026-12-07")
    return value


Day = Annotated[date, BeforeValidator(_written_date)]
# An ISO week ("2026-W49"); W53 exists in some years only (a 422 in the others).
WEEK_PATTERN = r"^20[0-9]{2}-W(0[1-9]|[1-4][0-9]|5[0-3])$"


class EntryCreate(BaseModel):
    recipe_id: int = Field(ge=1, le=MAX_ID, examples=[1])
    day: Day = Field(examples=["2026-12-07"])
    meal: Meal = Field(examples=["dinner"])
    servings: Servings | None = Field(
        default=None, description="Absent: the recipe's own servings (2 if it says none)"
    )


class EntryUpdate(BaseModel):
    """Move an entry (another day or meal) or change its servings; absent fields stay."""

    day: Day | None = None
    meal: Meal | None = None
    servings: Servings | None = None

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class EntryOut(BaseModel):
    id: int
    recipe_id: int
    recipe_label: str
    day: date
    meal: Meal
    servings: int
    available: bool = Field(
        default=True,
        description="False: its cook has made the recipe private since; "
        "it is left off the shopping list, and can be removed",
    )


class WeekPlan(BaseModel):
    week: str = Field(description="The ISO week", examples=["2026-W49"])
    start: date = Field(description="Its Monday")
    end: date = Field(description="Its Sunday")
    previous: str
    next: str
    entries: list[EntryOut] = Field(description="By day, then meal, then when added")
