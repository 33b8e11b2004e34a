"""What every reader shares: the recipe it gives, the problems it reports, field cleaning.

A reader is a pure function from the uploaded bytes to a :class:`ReadResult`:
the recipes it could read (each already a valid :class:`RecipeCreate`) and,
for each one it could not read or read only in part, a :class:`Problem` that
names the recipe and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from recipe_api.recipes.schemas import MAX_LINES, RecipeCreate

MAX_TAGS = 30


@dataclass(frozen=True)
class Problem:
    """One recipe (or file) that was skipped or kept only in part, and why, for the cook."""

    recipe: str
    reason: str
    # False: the recipe was imported, without what the reason names.
    skipped: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"recipe": self.recipe, "reason": self.reason, "skipped": self.skipped}


@dataclass
class ReadResult:
    recipes: list[RecipeCreate] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The photo the export holds for a recipe, by its index in ``recipes``.
    photos: dict[int, bytes] = field(default_factory=dict)
    # A recipe box's favourites and meal plan, their recipes named by ``RecipeKey``s.
    favourites: list[dict[str, Any]] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: ReadResult) -> None:
        offset = len(self.recipes)
        self.recipes.extend(other.recipes)
        self.problems.extend(other.problems)
        self.photos.update({offset + index: data for index, data in other.photos.items()})
        self.favourites.extend(_shifted(key, offset) for key in other.favourites)
        self.plan.extend(_shifted(entry, offset) for entry in other.plan)


def _shifted(item: dict[str, Any], offset: int) -> dict[str, Any]:
    """A favourite or plan entry naming a recipe of the upload by index, moved by ``offset``."""
    if isinstance(item.get("recipe"), int):
        return {**item, "recipe": item["recipe"] + offset}
    return item


class UnreadableUploadError(Exception):
    """The upload as a whole is not an export we read (422): the message says what it is."""


def text(value: Any, limit: int) -> str | None:
    """A one-line string, NULs and runs of blanks removed, at most ``limit`` characters."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", "").split())
    return cleaned[:limit] or None


def lines_of(values: Any, limit: int) -> list[str]:
    """Each non-blank line, cleaned; a string is split at its line breaks."""
    if isinstance(values, str):
        values = values.splitlines()
    if not isinstance(values, list):
        return []
    found = (text(value, limit) for value in values)
    return [line for line in found if line]


def heading(value: Any) -> str | None:
    """A section's name as one of our lines: "For the sauce:" (a line of its own)."""
    name = text(value, 498)
    if not name:
        return None
    return name if name.endswith(":") else f"{name}:"


_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_WORDS_DURATION = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>d(?:ays?)?|h(?:ours?|rs?)?|m(?:in(?:ute)?s?)?)\b",
    re.IGNORECASE,
)
_UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}


def minutes(value: Any) -> int | None:
    """Minutes from an ISO 8601 duration ("PT1H30M"), words ("1 hour 30 mins") or a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        total = float(value)
    elif isinstance(value, str) and value.strip():
        raw = value.strip()
        iso = _ISO_DURATION.match(raw)
        if iso and any(iso.groupdict().values()):
            parts = {k: float(v) for k, v in iso.groupdict().items() if v}
            total = (
                parts.get("days", 0) * 24 * 60
                + parts.get("hours", 0) * 60
                + parts.get("minutes", 0)
                + parts.get("seconds", 0) / 60
            )
        elif raw.isdigit():
            total = float(raw)
        else:
            found = _WORDS_DURATION.findall(raw)
            if not found:
                return None
            total = sum(
                float(number.replace(",", ".")) * _UNIT_MINUTES[unit[0].lower()]
                for number, unit in found
            )
    else:
        return None
    rounded = round(total)
    return rounded if 0 <= rounded <= 100_000 else None


def names(values: Any, key: str = "name") -> list[str]:
    """Names from a list of strings or of objects with a ``name`` (tags, categories)."""
    if isinstance(values, str):
        values = values.split(",")
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list):
        return []
    found: list[str] = []
    for value in values:
        name = text(value.get(key) if isinstance(value, dict) else value, 64)
        if name:
            found.append(name)
    return found


def first_name(values: Any) -> str | None:
    """The first of ``names``, for one-valued fields (cuisine, category)."""
    found = names(values)
    return text(found[0], 256) if found else None


def http_url(value: Any) -> str | None:
    url = text(value, 2048)
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


def build_recipe(
    values: dict[str, Any], label: str, result: ReadResult, photo: bytes | None = None
) -> bool:
    """``values`` as a recipe added to ``result``, or a problem: fields that do not fit are cut.

    Too many lines (more than 200) are cut with a problem saying so; a field
    that is still invalid (an image address that is not one) is left out; a
    recipe without a usable name is skipped. ``photo`` (the export's image
    bytes) goes with the recipe when it is kept. Returns whether it was.
    """
    name = text(values.get("label"), 256)
    if not name:
        result.problems.append(Problem(label, "No name: the recipe was skipped"))
        return False
    values["label"] = name
    for key in ("ingredients", "instructions"):
        lines = values.get(key) or []
        if len(lines) > MAX_LINES:
            result.problems.append(
                Problem(
                    name,
                    f"Only the first {MAX_LINES} of its {len(lines)} {key} were kept",
                    skipped=False,
                )
            )
            values[key] = lines[:MAX_LINES]
    tags = values.get("tags") or []
    values["tags"] = tags[:MAX_TAGS]
    values = {key: value for key, value in values.items() if value is not None}
    try:
        _keep(result, RecipeCreate.model_validate(values), photo)
        return True
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    for key in bad - {"label"}:
        values.pop(key, None)
    try:
        _keep(result, RecipeCreate.model_validate(values), photo)
    except ValidationError:
        result.problems.append(Problem(name, "Its fields could not be read: it was skipped"))
        return False
    left_out = ", ".join(sorted(bad))
    result.problems.append(
        Problem(name, f"Left out what could not be read: {left_out}", skipped=False)
    )
    return True


def _keep(result: ReadResult, recipe: RecipeCreate, photo: bytes | None) -> None:
    if photo:
        result.photos[len(result.recipes)] = photo
    result.recipes.append(recipe)
