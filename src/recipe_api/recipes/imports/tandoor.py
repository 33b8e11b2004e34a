"""Tandoor's export (its "Default" format): a zip holding one zip per recipe.

Each inner zip holds ``recipe.json`` (Tandoor's ``RecipeExportSerializer``:
``name``, ``description``, ``keywords``, ``steps``, ``working_time``,
``waiting_time``, ``servings``, ``servings_text``, ``source_url``) and the
photo as ``image.*``. Ingredients live in the steps: a step's ``name`` is a
section of steps, and an ingredient with ``is_header`` is a heading of the
ingredient list.
"""

from __future__ import annotations

from typing import Any

import orjson

from recipe_api.recipes.imports.common import (
    Problem,
    ReadResult,
    UnreadableUploadError,
    build_recipe,
    heading,
    http_url,
    minutes,
    names,
    text,
)
from recipe_api.recipes.imports.unpack import Budget, files, is_zip, open_zip, read_entry


def _amount(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{number:g}" if number else ""


def _name(thing: Any, plural: bool) -> str | None:
    if not isinstance(thing, dict):
        return None
    return text((plural and thing.get("plural_name")) or thing.get("name"), 200)


def _ingredient_line(item: dict[str, Any]) -> str | None:
    note = text(item.get("note"), 300)
    if item.get("is_header"):
        return heading(note or _name(item.get("food"), False))
    amount = "" if item.get("no_amount") else _amount(item.get("amount"))
    many = bool(amount) and amount != "1"
    parts = [amount, _name(item.get("unit"), many), _name(item.get("food"), many)]
    line = " ".join(part for part in parts if part)
    if note:
        line = f"{line}, {note}" if line else note
    return text(line, 500)


def recipe_values(data: dict[str, Any]) -> dict[str, Any]:
    """Our recipe's fields from one Tandoor ``recipe.json``."""
    steps = sorted(
        (step for step in data.get("steps") or [] if isinstance(step, dict)),
        key=lambda step: step.get("order") or 0,
    )
    ingredients: list[str] = []
    instructions: list[str] = []
    titled = sum(1 for step in steps if text(step.get("name"), 10)) > 0
    for step in steps:
        title = heading(step.get("name")) if titled else None
        items = sorted(
            (item for item in step.get("ingredients") or [] if isinstance(item, dict)),
            key=lambda item: item.get("order") or 0,
        )
        lines = [line for line in map(_ingredient_line, items) if line]
        if lines and title and not lines[0].endswith(":"):
            ingredients.append(title)
        ingredients.extend(lines)
        if title:
            instructions.append(title)
        instructions.extend(
            line
            for line in (text(p, 5_000) for p in str(step.get("instruction") or "").split("\n\n"))
            if line
        )
    working = minutes(data.get("working_time"))
    waiting = minutes(data.get("waiting_time"))
    servings = text(data.get("servings"), 20) or ""
    servings_text = text(data.get("servings_text"), 200)
    return {
        "label": data.get("name"),
        "description": text(data.get("description"), 10_000) or "",
        "ingredients": ingredients,
        "instructions": instructions,
        "tags": names(data.get("keywords")),
        "servings": f"{servings} {servings_text}" if servings and servings_text else servings,
        "prep_minutes": working or None,
        "cook_minutes": waiting or None,
        "url": http_url(data.get("source_url")),
        "source": "",
    }


def is_tandoor(paths: list[str]) -> bool:
    return bool(paths) and all(path.lower().endswith(".zip") for path in paths)


def read(data: bytes, budget: Budget) -> ReadResult:
    """Every recipe in a Tandoor export: the outer zip of per-recipe zips."""
    archive = open_zip(data, budget)
    inner = sorted(
        (entry for entry in files(archive) if entry.filename.lower().endswith(".zip")),
        key=lambda entry: entry.filename,
    )
    if not inner:
        raise UnreadableUploadError("No per-recipe zips in it: not a Tandoor export")
    result = ReadResult()
    for entry in inner:
        label = entry.filename.rsplit("/", 1)[-1]
        recipe_zip = read_entry(archive, entry, budget)
        if not is_zip(recipe_zip):
            result.problems.append(Problem(label, "Not a zip: it was skipped"))
            continue
        nested = open_zip(recipe_zip, budget)
        found = [e for e in files(nested) if e.filename.rsplit("/", 1)[-1] == "recipe.json"]
        if not found:
            result.problems.append(Problem(label, "No recipe.json in it: it was skipped"))
            continue
        try:
            recipe = orjson.loads(read_entry(nested, found[0], budget))
        except orjson.JSONDecodeError:
            result.problems.append(Problem(label, "Its recipe.json is damaged: it was skipped"))
            continue
        if not isinstance(recipe, dict):
            result.problems.append(Problem(label, "Not a Tandoor recipe: it was skipped"))
            continue
        images = [
            e for e in files(nested) if e.filename.rsplit("/", 1)[-1].lower().startswith("image.")
        ]
        image = read_entry(nested, images[0], budget) if images else None
        build_recipe(recipe_values(recipe), text(recipe.get("name"), 256) or label, result, image)
    return result
