"""Paprika's ``.paprikarecipes``: a zip of ``<name>.paprikarecipe`` entries, each gzipped JSON.

Each recipe's JSON (Paprika 3) has ``name``, ``ingredients`` and ``directions``
as text with one line per ingredient or paragraph, ``categories`` (a list of
names), ``servings``, ``prep_time``/``cook_time``/``total_time`` in words
("15 mins"), ``source`` and ``source_url``, ``description``, ``notes``,
``image_url`` and the photo as base64 in ``photo_data``.
"""

from __future__ import annotations

import binascii
import re
from typing import Any

import orjson

from recipe_api.recipes.imports.common import (
    Problem,
    ReadResult,
    UnreadableUploadError,
    build_recipe,
    http_url,
    lines_of,
    minutes,
    names,
    text,
)
from recipe_api.recipes.imports.unpack import Budget, files, gunzip, open_zip, read_entry

# "1. Heat the oven": the numbers Paprika users type before steps.
_STEP_NUMBER = re.compile(r"^\d+[.)]\s+")


def _directions(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [_STEP_NUMBER.sub("", line) for line in lines_of(value, 5_000)]


def recipe_values(data: dict[str, Any]) -> dict[str, Any]:
    """Our recipe's fields from one Paprika recipe."""
    categories = names(data.get("categories"))
    return {
        "label": data.get("name"),
        "description": text(data.get("description"), 10_000) or "",
        "ingredients": lines_of(data.get("ingredients"), 500),
        "instructions": _directions(data.get("directions")),
        "tags": categories,
        "servings": text(data.get("servings"), 256) or "",
        "prep_minutes": minutes(data.get("prep_time")),
        "cook_minutes": minutes(data.get("cook_time")),
        "total_minutes": minutes(data.get("total_time")),
        "image_url": http_url(data.get("image_url")),
        "category": categories[0] if categories else None,
        "source": text(data.get("source"), 256) or "",
        "url": http_url(data.get("source_url")),
    }


def _photo(data: dict[str, Any], budget: Budget) -> bytes | None:
    """The recipe's photo: base64 in ``photo_data`` (on the same unpacking budget)."""
    encoded = data.get("photo_data")
    if not isinstance(encoded, str) or not encoded:
        return None
    budget.take(len(encoded) * 3 // 4)
    try:
        return binascii.a2b_base64(encoded, strict_mode=False) or None
    except binascii.Error:
        return None


def is_paprika(paths: list[str]) -> bool:
    return any(path.lower().endswith(".paprikarecipe") for path in paths)


def read(data: bytes, budget: Budget) -> ReadResult:
    archive = open_zip(data, budget)
    entries = sorted(
        (e for e in files(archive) if e.filename.lower().endswith(".paprikarecipe")),
        key=lambda entry: entry.filename,
    )
    if not entries:
        raise UnreadableUploadError("No .paprikarecipe entries in it: not a Paprika export")
    result = ReadResult()
    for entry in entries:
        label = entry.filename.rsplit("/", 1)[-1].removesuffix(".paprikarecipe")
        try:
            recipe = orjson.loads(gunzip(read_entry(archive, entry, budget), budget))
        except (ValueError, orjson.JSONDecodeError):
            result.problems.append(Problem(label, "Not gzipped JSON: it was skipped"))
            continue
        if not isinstance(recipe, dict):
            result.problems.append(Problem(label, "Not a Paprika recipe: it was skipped"))
            continue
        name = text(recipe.get("name"), 256) or label
        build_recipe(recipe_values(recipe), name, result, _photo(recipe, budget))
    return result
