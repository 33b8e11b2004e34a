"""The cook's own recipe box: their recipes, photos, favourites and meal plan in one zip.

``manifest.json`` says what the archive is (``format``, ``version``), when it
was made and which files hold which recipes; ``recipes/NNNN-<name>.json`` is one
recipe each, JSON-LD any other app can read; ``photos/NNNN-<name>.webp`` is its
photo (the largest stored width). The manifest's ``favourites`` and
``meal_plan`` name their recipes by a key that holds on another server: the
``file`` of one of the cook's recipes in the archive, or, for another cook's
public recipe, its web address, name and ingredients (the duplicate check's
key). Importing it back gives the same recipes, photos, favourites and plan
entries; importing it again adds nothing (tests/recipes/test_recipe_box.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from recipe_api.recipes.imports import jsonld
from recipe_api.recipes.imports.common import (
    Problem,
    ReadResult,
    UnreadableUploadError,
    http_url,
    lines_of,
    text,
)
from recipe_api.recipes.imports.unpack import Budget, files, open_zip, read_entry
from recipe_api.recipes.schemas import RecipeOut

FORMAT = "recipe-api-recipe-box"
VERSION = 1
MANIFEST = "manifest.json"
MEALS = ("breakfast", "lunch", "dinner", "snack")
# Bounds on what a manifest may ask of the job, beyond the upload's own limits.
MAX_FAVOURITES = 20_000
MAX_PLAN_ENTRIES = 20_000


@dataclass(frozen=True)
class BoxItem:
    """A favourite or a plan entry as exported: its recipe, by id when it is the cook's own."""

    recipe: RecipeOut
    own: bool
    day: date | None = None
    meal: str | None = None
    servings: int | None = None


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:60] or "recipe"


def _key(item: BoxItem, files_by_id: Mapping[int, str]) -> dict[str, Any]:
    if item.own and item.recipe.id in files_by_id:
        return {"file": files_by_id[item.recipe.id]}
    return {
        "url": item.recipe.url or None,
        "name": item.recipe.label,
        "ingredients": item.recipe.ingredients,
    }


def write(
    recipes: Iterable[RecipeOut],
    *,
    cook_email: str,
    photos: Mapping[int, bytes] | None = None,
    favourites: Iterable[BoxItem] = (),
    plan: Iterable[BoxItem] = (),
) -> bytes:
    """The archive of ``recipes`` (``photos`` by recipe id), built in memory.

    JSON is deflated; the photos, WebP already, are stored as they are.
    """
    photos = photos or {}
    buffer = io.BytesIO()
    listed: list[dict[str, object]] = []
    files_by_id: dict[int, str] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, recipe in enumerate(recipes, 1):
            stem = f"{number:04d}-{_slug(recipe.label)}"
            path = f"recipes/{stem}.json"
            archive.writestr(
                path, orjson.dumps(jsonld.recipe_json_ld(recipe), option=orjson.OPT_INDENT_2)
            )
            item: dict[str, object] = {"file": path, "id": recipe.id, "name": recipe.label}
            if (photo := photos.get(recipe.id)) is not None:
                item["photo"] = f"photos/{stem}.webp"
                archive.writestr(str(item["photo"]), photo, compress_type=zipfile.ZIP_STORED)
            listed.append(item)
            files_by_id[recipe.id] = path
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": datetime.now(UTC).isoformat(),
            "cook": cook_email,
            "recipes": listed,
            "favourites": [_key(item, files_by_id) for item in favourites],
            "meal_plan": [
                {
                    "day": item.day.isoformat() if item.day else None,
                    "meal": item.meal,
                    "servings": item.servings,
                    **_key(item, files_by_id),
                }
                for item in plan
            ],
        }
        archive.writestr(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return buffer.getvalue()


def is_box(archive: zipfile.ZipFile) -> bool:
    return MANIFEST in archive.namelist()


def _recipe_key(value: Any, indexes: Mapping[str, int]) -> dict[str, Any] | None:
    """What names a recipe: ``{"recipe": index}`` for one in the archive, else its key."""
    if not isinstance(value, dict):
        return None
    path = value.get("file")
    if isinstance(path, str):
        return {"recipe": indexes[path]} if path in indexes else None
    name = text(value.get("name"), 256)
    if not name:
        return None
    return {
        "url": http_url(value.get("url")),
        "name": name,
        "ingredients": lines_of(value.get("ingredients"), 500),
    }


def _plan_entry(value: Any, indexes: Mapping[str, int]) -> dict[str, Any] | None:
    key = _recipe_key(value, indexes)
    if key is None or not isinstance(value, dict):
        return None
    try:
        day = date.fromisoformat(str(value.get("day")))
    except ValueError:
        return None
    meal = value.get("meal")
    servings = value.get("servings")
    if meal not in MEALS or not isinstance(servings, int) or not 1 <= servings <= 100:
        return None
    return {"day": day.isoformat(), "meal": meal, "servings": servings, **key}


def _listed(manifest: dict[str, Any], field: str, limit: int, result: ReadResult) -> list[Any]:
    items = manifest.get(field) or []
    if not isinstance(items, list):
        return []
    if len(items) > limit:
        result.problems.append(
            Problem(field, f"Only the first {limit:,} of {len(items):,} were read", skipped=False)
        )
    return items[:limit]


def read(data: bytes, budget: Budget) -> ReadResult:
    """The recipes (with photos), favourites and plan of an archive :func:`write` made."""
    archive = open_zip(data, budget)
    try:
        manifest = orjson.loads(read_entry(archive, archive.getinfo(MANIFEST), budget))
    except (KeyError, orjson.JSONDecodeError) as exc:
        raise UnreadableUploadError("The archive's manifest.json is missing or damaged") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UnreadableUploadError("manifest.json does not describe a recipe box from this site")
    if manifest.get("version") != VERSION:
        raise UnreadableUploadError(
            f"The recipe box is version {manifest.get('version')}; "
            f"this site reads version {VERSION}"
        )
    present = {entry.filename: entry for entry in files(archive)}
    result = ReadResult()
    indexes: dict[str, int] = {}
    for item in manifest.get("recipes") or []:
        path = item.get("file") if isinstance(item, dict) else None
        name = str(item.get("name") or path) if isinstance(item, dict) else str(item)
        if not isinstance(path, str) or path not in present:
            result.problems.append(Problem(name, "Its file is missing from the archive"))
            continue
        found = jsonld.read_document(read_entry(archive, present[path], budget), name)
        photo_path = item.get("photo") if isinstance(item, dict) else None
        if len(found.recipes) == 1:
            indexes[path] = len(result.recipes)
            if isinstance(photo_path, str) and photo_path in present:
                found.photos[0] = read_entry(archive, present[photo_path], budget)
        result.extend(found)
    dropped = 0
    for value in _listed(manifest, "favourites", MAX_FAVOURITES, result):
        key = _recipe_key(value, indexes)
        if key is None:
            dropped += 1
        else:
            result.favourites.append(key)
    for value in _listed(manifest, "meal_plan", MAX_PLAN_ENTRIES, result):
        entry = _plan_entry(value, indexes)
        if entry is None:
            dropped += 1
        else:
            result.plan.append(entry)
    if dropped:
        result.problems.append(
            Problem(
                "favourites and meal plan",
                f"{dropped} could not be read (no such recipe in the archive, or a bad "
                "day, meal or servings): left out",
                skipped=False,
            )
        )
    return result
