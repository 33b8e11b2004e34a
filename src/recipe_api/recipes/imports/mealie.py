"""Mealie's recipe export: a zip of ``recipes/<slug>/<slug>.json`` (and each recipe's images).

Each JSON file is Mealie's own recipe model in camelCase (``mealie/schema/recipe/
recipe.py``): ``recipeIngredient`` items carry a ``title`` that starts a section
and a ``display``/``originalText``/``note``; ``recipeInstructions`` items carry a
``title`` (a section) and ``text``; times are free text ("1 hour 30 minutes")
or ISO 8601; ``tags`` and ``recipeCategory`` are objects with a ``name``;
``orgURL`` is where the recipe came from. The photo is
``recipes/<slug>/images/original.webp`` (beside Mealie's smaller copies).
"""

from __future__ import annotations

import zipfile
from typing import Any

import orjson

from recipe_api.recipes.imports.common import (
    Problem,
    ReadResult,
    UnreadableUploadError,
    build_recipe,
    first_name,
    heading,
    http_url,
    minutes,
    names,
    text,
)
from recipe_api.recipes.imports.unpack import Budget, files, open_zip, read_entry


def _amount(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and value:
        return f"{value:g}"
    return ""


def _ingredient_line(item: Any) -> str | None:
    """The line as the cook wrote it.

    An ingredient Mealie never parsed has neither unit nor food: its ``note`` is
    the whole line (its ``display`` then starts with a quantity of 1 Mealie
    made up). A parsed one is its quantity, unit, food and note.
    """
    if isinstance(item, str):
        return text(item, 500)
    if not isinstance(item, dict):
        return None
    unit = item.get("unit") if isinstance(item.get("unit"), dict) else None
    food = item.get("food") if isinstance(item.get("food"), dict) else None
    if unit is None and food is None:
        for key in ("note", "originalText", "display"):
            if line := text(item.get(key), 500):
                return line
        return None
    parts = [
        _amount(item.get("quantity")),
        text(unit.get("name"), 100) if unit else None,
        text(food.get("name"), 200) if food else None,
    ]
    line = " ".join(part for part in parts if part)
    if note := text(item.get("note"), 300):
        line = f"{line}, {note}" if line else note
    return text(line, 500) or text(item.get("display") or item.get("originalText"), 500)


def _ingredients(items: Any) -> list[str]:
    lines: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and (title := heading(item.get("title"))):
            lines.append(title)
        if line := _ingredient_line(item):
            lines.append(line)
    return lines


def _instructions(items: Any) -> list[str]:
    lines: list[str] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            step = text(item, 5_000)
        elif isinstance(item, dict):
            if title := heading(item.get("title")):
                lines.append(title)
            step = text(item.get("text") or item.get("summary"), 5_000)
        else:
            step = None
        if step:
            lines.append(step)
    return lines


def recipe_values(data: dict[str, Any]) -> dict[str, Any]:
    """Our recipe's fields from one Mealie recipe."""
    return {
        "label": data.get("name"),
        "description": text(data.get("description"), 10_000) or "",
        "ingredients": _ingredients(data.get("recipeIngredient")),
        "instructions": _instructions(data.get("recipeInstructions")),
        "tags": names(data.get("tags")),
        "servings": text(data.get("recipeYield"), 256) or _amount(data.get("recipeServings")) or "",
        "prep_minutes": minutes(data.get("prepTime")),
        # Mealie's "cook time" is performTime; cookTime is an older name.
        "cook_minutes": minutes(data.get("performTime") or data.get("cookTime")),
        "total_minutes": minutes(data.get("totalTime")),
        "cuisine": first_name(data.get("recipeCuisine")),
        "category": first_name(data.get("recipeCategory")),
        "url": http_url(data.get("orgURL")),
        "source": "",
    }


def is_mealie(paths: list[str]) -> bool:
    return any(_is_recipe_json(path) for path in paths)


def _is_recipe_json(path: str) -> bool:
    parts = path.split("/")
    # .../recipes/<slug>/<slug>.json
    return len(parts) >= 3 and parts[-3] == "recipes" and parts[-1] == f"{parts[-2]}.json"


_IMAGE_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png", ".gif", ".avif")


def _photos(entries: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """Each recipe folder's photo: ``images/original.*`` (Mealie's own; not its small copies)."""
    found: dict[str, zipfile.ZipInfo] = {}
    for entry in entries:
        folder, _, name = entry.filename.rpartition("/images/")
        if (
            folder
            and name.lower().startswith("original.")
            and name.lower().endswith(_IMAGE_SUFFIXES)
        ):
            found[folder] = entry
    return found


def read(data: bytes, budget: Budget) -> ReadResult:
    """Every recipe in a Mealie export zip, each with its photo when it has one."""
    archive = open_zip(data, budget)
    present = files(archive)
    entries = sorted(
        (entry for entry in present if _is_recipe_json(entry.filename)),
        key=lambda entry: entry.filename,
    )
    photos = _photos(present)
    if not entries:
        raise UnreadableUploadError("No recipes/<name>/<name>.json in it: not a Mealie export")
    result = ReadResult()
    for entry in entries:
        slug = entry.filename.split("/")[-2]
        try:
            recipe = orjson.loads(read_entry(archive, entry, budget))
        except orjson.JSONDecodeError:
            result.problems.append(Problem(slug, "Its JSON is damaged: it was skipped"))
            continue
        if not isinstance(recipe, dict):
            result.problems.append(Problem(slug, "Not a Mealie recipe: it was skipped"))
            continue
        photo = photos.get(entry.filename.rsplit("/", 1)[0])
        image = read_entry(archive, photo, budget) if photo is not None else None
        build_recipe(recipe_values(recipe), text(recipe.get("name"), 256) or slug, result, image)
    return result
