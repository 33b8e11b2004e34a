"""Which export an upload is, and its reader: by what is inside, not by the file's name."""

from __future__ import annotations

from dataclasses import dataclass

from recipe_api.recipes.imports import box, jsonld, mealie, paprika, tandoor
from recipe_api.recipes.imports.common import ReadResult, UnreadableUploadError
from recipe_api.recipes.imports.unpack import Budget, files, is_zip, open_zip, read_entry

_JSON_NAMES = (".json", ".jsonld", ".json-ld")


@dataclass(frozen=True)
class Limits:
    max_entries: int
    max_unpacked_bytes: int
    max_recipes: int

    def budget(self) -> Budget:
        return Budget(max_entries=self.max_entries, max_bytes=self.max_unpacked_bytes)


def detect(data: bytes, budget: Budget) -> str:
    """The format of one uploaded file."""
    if not is_zip(data):
        if data.lstrip()[:1] in (b"{", b"["):
            return "json-ld"
        raise UnreadableUploadError(
            "The file is neither a zip archive nor JSON: upload the export file the other "
            "app made (Mealie or Tandoor: .zip; Paprika: .paprikarecipes; schema.org: .json)"
        )
    archive = open_zip(data, Budget(max_entries=budget.max_entries, max_bytes=budget.max_bytes))
    if box.is_box(archive):
        return "recipe-box"
    paths = [entry.filename for entry in files(archive)]
    if paprika.is_paprika(paths):
        return "paprika"
    if mealie.is_mealie(paths):
        return "mealie"
    if tandoor.is_tandoor(paths):
        return "tandoor"
    if paths and all(path.lower().endswith(_JSON_NAMES) for path in paths):
        return "json-ld"
    raise UnreadableUploadError(
        "The archive is not an export we know (Mealie, Tandoor, Paprika, schema.org "
        "JSON-LD files, or a recipe box from this site)"
    )


def _json_ld_zip(data: bytes, budget: Budget) -> ReadResult:
    archive = open_zip(data, budget)
    entries = sorted(files(archive), key=lambda entry: entry.filename)
    return jsonld.read_files([(e.filename, read_entry(archive, e, budget)) for e in entries])


def read_upload(uploads: list[tuple[str, bytes]], limits: Limits) -> tuple[str, ReadResult]:
    """The format and the recipes of the uploaded files (one archive, or JSON-LD files).

    ``UnreadableUploadError`` (422) when it is no export we read,
    ``UploadTooLargeError`` (413) past ``limits``. A pure function: bytes in,
    recipes and problems out; nothing is written.
    """
    if not uploads:
        raise UnreadableUploadError("No file was uploaded")
    budget = limits.budget()
    budget.count_entries(len(uploads))
    kinds = [detect(data, budget) for _, data in uploads]
    if len(uploads) > 1 and any(kind != "json-ld" for kind in kinds):
        raise UnreadableUploadError(
            "Upload one export archive at a time (several files only for JSON-LD files)"
        )
    kind = kinds[0]
    result = ReadResult()
    for (name, data), _ in zip(uploads, kinds, strict=True):
        if kind == "json-ld":
            found = _json_ld_zip(data, budget) if is_zip(data) else jsonld.read_document(data, name)
            budget.take(len(data) if not is_zip(data) else 0)
        elif kind == "mealie":
            found = mealie.read(data, budget)
        elif kind == "tandoor":
            found = tandoor.read(data, budget)
        elif kind == "paprika":
            found = paprika.read(data, budget)
        else:
            found = box.read(data, budget)
        result.extend(found)
    if not result.recipes and not result.problems:
        raise UnreadableUploadError("The upload holds no recipes")
    if len(result.recipes) > limits.max_recipes:
        raise UnreadableUploadError(
            f"The upload holds {len(result.recipes):,} recipes; at most {limits.max_recipes:,} "
            "are imported at once: export them in parts"
        )
    return kind, result
