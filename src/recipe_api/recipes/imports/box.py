"""The cook's own recipe box: a zip of schema.org Recipe JSON-LD files and a manifest.

``manifest.json`` says what the archive is (``format``, ``version``), when it
was made and which files hold which recipes; ``recipes/NNNN-<name>.json`` is one
recipe each, JSON-LD any other app can read. Importing it back gives the same
recipes (tests/recipes/test_imports.py makes the round trip).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson

from recipe_api.recipes.imports import jsonld
from recipe_api.recipes.imports.common import Problem, ReadResult, UnreadableUploadError
from recipe_api.recipes.imports.unpack import Budget, files, open_zip, read_entry
from recipe_api.recipes.schemas import RecipeOut

FORMAT = "recipe-api-recipe-box"
VERSION = 1
MANIFEST = "manifest.json"


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:60] or "recipe"


def write(recipes: Iterable[RecipeOut], *, cook_email: str) -> bytes:
    """The archive of ``recipes``: built in memory, each file deflated."""
    buffer = io.BytesIO()
    listed: list[dict[str, object]] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, recipe in enumerate(recipes, 1):
            path = f"recipes/{number:04d}-{_slug(recipe.label)}.json"
            archive.writestr(
                path, orjson.dumps(jsonld.recipe_json_ld(recipe), option=orjson.OPT_INDENT_2)
            )
            listed.append({"file": path, "id": recipe.id, "name": recipe.label})
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": datetime.now(UTC).isoformat(),
            "cook": cook_email,
            "recipes": listed,
        }
        archive.writestr(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return buffer.getvalue()


def is_box(archive: zipfile.ZipFile) -> bool:
    return MANIFEST in archive.namelist()


def read(data: bytes, budget: Budget) -> ReadResult:
    """The recipes of an archive :func:`write` made, in its manifest's order."""
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
    for item in manifest.get("recipes") or []:
        path = item.get("file") if isinstance(item, dict) else None
        name = str(item.get("name") or path) if isinstance(item, dict) else str(item)
        if not isinstance(path, str) or path not in present:
            result.problems.append(Problem(name, "Its file is missing from the archive"))
            continue
        found = jsonld.read_document(read_entry(archive, present[path], budget), name)
        result.extend(found)
    return result
