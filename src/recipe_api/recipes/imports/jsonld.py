"""schema.org ``Recipe`` in JSON-LD: read from files, and written for the cook's archive."""

from __future__ import annotations

from collections.abc import Iterator
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
    lines_of,
    minutes,
    names,
    text,
)
from recipe_api.recipes.schemas import RecipeOut

MAX_DEPTH = 64


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def has_sections(value: Any) -> bool:
    """Whether schema.org ``recipeInstructions`` are grouped in ``HowToSection``s."""
    items = value if isinstance(value, list) else [value]
    return any(isinstance(item, dict) and "HowToSection" in _types(item) for item in items)


def recipe_nodes(document: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every ``Recipe`` object in a JSON-LD document: top level, in lists, in ``@graph``."""
    if depth > MAX_DEPTH:
        return
    if isinstance(document, list):
        for item in document:
            yield from recipe_nodes(item, depth + 1)
    elif isinstance(document, dict):
        if "Recipe" in _types(document):
            yield document
            return
        for key in ("@graph", "mainEntity", "itemListElement", "item"):
            if key in document:
                yield from recipe_nodes(document[key], depth + 1)


def _value(value: Any) -> Any:
    """The first of a list, the ``url``/``name``/``@id`` of an object (images, authors)."""
    if isinstance(value, list):
        return _value(value[0]) if value else None
    if isinstance(value, dict):
        for key in ("url", "name", "@id", "contentUrl"):
            if key in value:
                return _value(value[key])
        return None
    return value


def instructions(value: Any, depth: int = 0) -> list[str]:
    """Steps in order; a ``HowToSection``'s name becomes a heading line before its steps."""
    if depth > 8:
        return []
    if isinstance(value, str):
        return lines_of(value, 5_000)
    if isinstance(value, list):
        return [line for item in value for line in instructions(item, depth + 1)]
    if not isinstance(value, dict):
        return []
    if "HowToSection" in _types(value):
        title = heading(value.get("name"))
        steps = instructions(value.get("itemListElement"), depth + 1)
        return ([title] if title else []) + steps
    step = text(value.get("text") or value.get("name") or value.get("description"), 5_000)
    return [step] if step else []


def _ingredients(value: Any) -> list[str]:
    """Lines; objects (some exporters write ``{"name": ...}``) give their name or text."""
    if isinstance(value, str):
        return lines_of(value, 500)
    if not isinstance(value, list):
        return []
    found: list[str] = []
    for item in value:
        line = text(item.get("text") or item.get("name") if isinstance(item, dict) else item, 500)
        if line:
            found.append(line)
    return found


def source_of(node: dict[str, Any]) -> str | None:
    """ "Ada (Example Kitchen)": the author and the publisher, or either alone."""
    author = text(_value(node.get("author")), 120)
    site = text(_value(node.get("publisher")), 120)
    if author and site and author.casefold() != site.casefold():
        return f"{author} ({site})"
    return author or site


def recipe_values(node: dict[str, Any]) -> dict[str, Any]:
    """Our recipe's fields from a schema.org Recipe object."""
    tags = names(node.get("keywords"))
    return {
        "label": node.get("name") or node.get("headline"),
        "description": text(node.get("description"), 10_000) or "",
        "ingredients": _ingredients(node.get("recipeIngredient") or node.get("ingredients")),
        "instructions": instructions(node.get("recipeInstructions")),
        "tags": tags,
        "servings": text(_value(node.get("recipeYield")), 256) or "",
        "prep_minutes": minutes(node.get("prepTime")),
        "cook_minutes": minutes(node.get("cookTime")),
        "total_minutes": minutes(node.get("totalTime")),
        "image_url": http_url(_value(node.get("image"))),
        "cuisine": first_name(node.get("recipeCuisine")),
        "category": first_name(node.get("recipeCategory")),
        "source": source_of(node) or "",
        "url": http_url(_value(node.get("url")) or _value(node.get("mainEntityOfPage"))),
    }


def read_document(data: bytes, name: str) -> ReadResult:
    """The recipes in one JSON-LD file (``name`` is how the cook knows it)."""
    result = ReadResult()
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        result.problems.append(Problem(name, f"Not JSON ({exc}): the file was skipped"))
        return result
    nodes = list(recipe_nodes(document))
    if not nodes:
        result.problems.append(Problem(name, "No schema.org Recipe in it: the file was skipped"))
    for index, node in enumerate(nodes, 1):
        build_recipe(recipe_values(node), f"{name} (recipe {index})", result)
    return result


def read_files(files: list[tuple[str, bytes]]) -> ReadResult:
    """One or more JSON-LD files (``.json``, ``.jsonld``) as (name, bytes) pairs."""
    if not files:
        raise UnreadableUploadError("No JSON-LD files in the upload")
    result = ReadResult()
    for name, data in files:
        result.extend(read_document(data, name))
    return result


def _duration(value: int | None) -> str | None:
    if value is None:
        return None
    hours, rest = divmod(value, 60)
    return f"PT{hours}H{rest}M" if hours else f"PT{rest}M"


def recipe_json_ld(recipe: RecipeOut) -> dict[str, Any]:
    """Our recipe as a schema.org Recipe that :func:`recipe_values` reads back to the same fields.

    Section headings stay lines ending with ":" (as our recipe holds them), so a
    round trip gives the same lines in the same order.
    """
    node: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Recipe",
        "name": recipe.label,
        "description": recipe.description,
        "recipeIngredient": recipe.ingredients,
        "recipeInstructions": [
            {"@type": "HowToStep", "text": step} for step in recipe.instructions
        ],
        "keywords": recipe.tags,
        "recipeYield": recipe.servings,
        "prepTime": _duration(recipe.prep_minutes),
        "cookTime": _duration(recipe.cook_minutes),
        "totalTime": _duration(recipe.total_minutes),
        "image": recipe.image_url,
        "recipeCuisine": recipe.cuisine,
        "recipeCategory": recipe.category,
        "author": {"@type": "Person", "name": recipe.source} if recipe.source else None,
        "url": recipe.url or None,
        "dateCreated": recipe.created_at.isoformat(),
        "dateModified": recipe.updated_at.isoformat(),
    }
    return {key: value for key, value in node.items() if value not in (None, "", [])}
