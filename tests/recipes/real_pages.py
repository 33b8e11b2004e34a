"""Real recipe pages (tests/recipes/pages/real) and what recipe-scrapers itself reads in them.

The measure of the import's fields: for each page, every field the library
extracts that a recipe of ours can hold, and whether the imported recipe holds
it. ``python -m tests.recipes.real_pages`` prints the table the README quotes.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recipe_api.recipes.schemas import normalize_tag

REAL = Path(__file__).parent / "pages" / "real"


@dataclass(frozen=True)
class RealPage:
    name: str
    url: str  # the page's own canonical address: it picks the site's scraper
    html: str


def real_pages() -> list[RealPage]:
    pages = []
    for path in sorted(REAL.glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes()).decode("utf-8")
        found = re.search(r'<link rel="canonical" href="([^"]+)"', html)
        assert found, path
        pages.append(RealPage(path.name.removesuffix(".html.gz"), found.group(1), html))
    return pages


def _plain(value: Any) -> str:
    return " ".join(str(value).split())


def _read(read: Callable[[], Any]) -> Any:
    try:
        value = read()
    except Exception:
        return None
    return value if value not in (None, "", [], 0) else None


def library_fields(page: RealPage) -> dict[str, Any]:
    """What recipe-scrapers extracts from the page, by the name of the field that holds it."""
    from recipe_scrapers import scrape_html

    scraper = scrape_html(page.html, org_url=page.url, supported_only=False)
    fields = {
        "title": _read(scraper.title),
        "description": _read(scraper.description),
        "ingredients": _read(scraper.ingredients),
        "ingredient_groups": [
            group.purpose for group in _read(scraper.ingredient_groups) or [] if group.purpose
        ]
        or None,
        "instructions": _read(scraper.instructions_list),
        "yields": _read(scraper.yields),
        "prep_time": _read(scraper.prep_time),
        "cook_time": _read(scraper.cook_time),
        "total_time": _read(scraper.total_time),
        "cuisine": _read(scraper.cuisine),
        "category": _read(scraper.category),
        "keywords": _read(scraper.keywords),
        "author": _read(scraper.author),
        "site_name": _read(scraper.site_name),
        "canonical_url": _read(scraper.canonical_url),
        "image": _read(scraper.image),
    }
    return {name: value for name, value in fields.items() if value is not None}


def _headings(recipe: dict[str, Any]) -> list[str]:
    return [line for line in recipe["ingredients"] if line.endswith(":")]


def kept(name: str, value: Any, recipe: dict[str, Any]) -> bool:
    """Whether the imported ``recipe`` holds the library's ``value`` of field ``name``."""
    match name:
        case "title":
            return bool(recipe["label"] == _plain(value)[:256])
        case "description":
            return bool(recipe["description"] == _plain(value)[:10_000])
        case "ingredients":
            wanted = [_plain(line) for line in value if _plain(line)][:200]
            # Section headings are lines of their own, ending with ":", where the page has them.
            lines = [line for line in recipe["ingredients"] if line in wanted]
            others = [line for line in recipe["ingredients"] if line not in wanted]
            return lines == wanted and all(line.endswith(":") for line in others)
        case "ingredient_groups":
            wanted = [_plain(p) if p.endswith(":") else f"{_plain(p)}:" for p in value]
            return _headings(recipe) == wanted
        case "instructions":
            return bool(recipe["instructions"] == [_plain(s) for s in value if _plain(s)][:200])
        case "yields":
            return bool(recipe["servings"] == _plain(value))
        case "prep_time" | "cook_time" | "total_time":
            return bool(recipe[name.replace("_time", "_minutes")] == value)
        case "cuisine" | "category":
            return bool(recipe[name] == _plain(value))
        case "keywords":
            wanted = list(dict.fromkeys(normalize_tag(k) for k in value if normalize_tag(k)))
            return bool(recipe["tags"] == [t for t in wanted if len(t) <= 64][:30])
        case "author" | "site_name":
            return _plain(value)[:120] in recipe["source"]
        case "canonical_url":
            return bool(recipe["url"] == value)
        case "image":
            return bool(recipe["image_url"] == value)
    raise AssertionError(name)


def main() -> None:
    from recipe_api.recipes.importer import recipe_from_page

    extracted: dict[str, int] = {}
    held: dict[str, int] = {}
    for page in real_pages():
        ours = recipe_from_page(page.html, page.url).model_dump(mode="json")
        for name, value in library_fields(page).items():
            extracted[name] = extracted.get(name, 0) + 1
            held[name] = held.get(name, 0) + kept(name, value, ours)
    print("| field | pages where recipe-scrapers extracts it | our recipe holds it |")
    print("|---|---|---|")
    for name in extracted:
        print(f"| {name} | {extracted[name]} | {held[name]} |")
    print(f"| all | {sum(extracted.values())} | {sum(held.values())} |")


if __name__ == "__main__":
    main()
