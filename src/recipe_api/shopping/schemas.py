"""The shopping list's API shapes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from recipe_api.mealplan.schemas import Day, Servings
from recipe_api.schemas import MAX_ID, ShortText

Aisle = Literal["produce", "dairy", "meat", "bakery", "pantry", "spices", "frozen", "other"]
# A list is for one shopping trip: at most a month of the plan.
MAX_DAYS = 31
LineText = Annotated[ShortText, StringConstraints(min_length=1, max_length=200)]


class FromPlan(BaseModel):
    start: Day = Field(examples=["2026-12-07"])
    end: Day = Field(examples=["2026-12-13"], description=f"At most {MAX_DAYS} days after start")

    @model_validator(mode="after")
    def _a_range(self) -> FromPlan:
        if self.end < self.start:
            raise ValueError("end comes before start")
        if (self.end - self.start).days >= MAX_DAYS:
            raise ValueError(f"a list covers at most {MAX_DAYS} days")
        return self


class FromRecipe(BaseModel):
    recipe_id: int = Field(ge=1, le=MAX_ID, examples=[1])
    servings: Servings | None = Field(default=None, description="Absent: as the recipe is written")


class LineCreate(BaseModel):
    text: LineText = Field(examples=["kitchen roll"])
    aisle: Aisle | None = Field(default=None, description="Absent: the food's usual aisle")


class LineUpdate(BaseModel):
    checked: bool | None = None
    aisle: Aisle | None = Field(
        default=None,
        description="Moves the line; for a line from recipes, the food goes to this aisle "
        "from now on",
    )


class LineOut(BaseModel):
    id: int
    text: str = Field(examples=["5 cloves garlic"])
    food: str = Field(description='The merged food ("" for a line typed by hand)')
    aisle: Aisle
    checked: bool
    manual: bool


class AisleLines(BaseModel):
    aisle: Aisle
    lines: list[LineOut]


class ShoppingList(BaseModel):
    aisles: list[AisleLines] = Field(description="Aisles with lines, in the shop's usual order")
    total: int
    checked: int
