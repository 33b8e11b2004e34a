"""A recipe as plain text and back: text areas and fields to the schemas' lists and numbers.

One ingredient a line, one step a line or a paragraph, tags between commas.
The website's recipe form uses it; validation stays the schemas'.
"""

from __future__ import annotations

import re
from typing import Any

from recipe_api.recipes.schemas import RecipeOut, total_minutes

RECIPE_FIELDS = (
    "label",
    "description",
    "ingredients",
    "instructions",
    "servings",
    "prep_minutes",
    "cook_minutes",
    "total_minutes",
    "tags",
    "cuisine",
    "category",
    "image_url",
    "source",
    "url",
    "sharing",
)
_OPTIONAL = ("prep_minutes", "cook_minutes", "total_minutes", "image_url", "url")
_BULLET = re.compile(r"^(?:[-*\u2022\u2023\u25e6]\s+)")
_STEP_NUMBER = re.compile(r"^(?:step\s*)?\d{1,3}\s*[.):]\s+", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def ingredient_lines(text: str) -> list[str]:
    """One ingredient a line; a leading bullet ("- ", "* ", "• ") is the typist's, not a part."""
    lines = (_BULLET.sub("", line.strip()) for line in text.splitlines())
    return [line for line in lines if line]


def steps(text: str) -> list[str]:
    """One step a line, or, when the text has blank lines, one step a paragraph.

    A paragraph's lines are joined with a space, so a step typed over several
    lines stays one step. A leading "1." or "Step 2:" goes: the page numbers them.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BLANK_LINE.search(text):
        chunks = [" ".join(p.split()) for p in _BLANK_LINE.split(text)]
    else:
        chunks = [line.strip() for line in text.split("\n")]
    cleaned = (_STEP_NUMBER.sub("", chunk) for chunk in chunks)
    return [step for step in cleaned if step]


def recipe_input(values: dict[str, str]) -> dict[str, Any]:
    """The posted text as the recipe schemas take it: lists split, empty optional fields absent.

    Validation stays the schemas' (``RecipeCreate``): this only splits lines and commas.
    """
    data: dict[str, Any] = {
        "label": values["label"],
        "description": values["description"],
        "ingredients": ingredient_lines(values["ingredients"]),
        "instructions": steps(values["instructions"]),
        "tags": values["tags"].split(","),
        "servings": values["servings"],
        "source": values["source"],
        "cuisine": values["cuisine"].strip() or None,
        "category": values["category"].strip() or None,
        # A new recipe is the cook's own until they choose to share it.
        "private": values["sharing"] != "public",
    }
    for name in _OPTIONAL:
        data[name] = values[name].strip() or None
    return data


def edited_recipe_input(values: dict[str, str], recipe: RecipeOut) -> dict[str, Any]:
    """:func:`recipe_input` for an edit: a list the cook left as the form showed it stays as stored.

    The form's text cannot hold everything the API can store (a tag with a comma,
    an ingredient starting with "- ", a step over several lines), so only the lists
    the cook changed are read from the text; the others are not touched.
    """
    data = recipe_input(values)
    if not values["sharing"]:  # a form from before the choice was on it
        data["private"] = recipe.private
    shown = recipe_values(recipe)
    for name in ("ingredients", "instructions", "tags"):
        if values[name].replace("\r\n", "\n") == shown[name]:
            data[name] = list(getattr(recipe, name))
    return data


def recipe_values(recipe: RecipeOut) -> dict[str, str]:
    """A stored recipe as the form's text, the inverse of :func:`recipe_input`."""
    # A step written over several lines needs blank lines between the steps to stay one.
    separator = "\n\n" if any("\n" in step for step in recipe.instructions) else "\n"
    computed = total_minutes({**recipe.model_dump(), "total_minutes": None})
    total = recipe.total_minutes
    return {
        "label": recipe.label,
        "description": recipe.description,
        "ingredients": "\n".join(recipe.ingredients),
        "instructions": separator.join(recipe.instructions),
        "servings": recipe.servings,
        "prep_minutes": _number(recipe.prep_minutes),
        "cook_minutes": _number(recipe.cook_minutes),
        # Empty when it is prep plus cook, so it follows them when they change.
        "total_minutes": "" if total == computed else _number(total),
        "tags": ", ".join(recipe.tags),
        "cuisine": recipe.cuisine or "",
        "category": recipe.category or "",
        "image_url": recipe.image_url or "",
        "source": recipe.source,
        "url": recipe.url,
        "sharing": "private" if getattr(recipe, "private", True) else "public",
    }


def _number(value: int | None) -> str:
    return "" if value is None else str(value)
