"""The word search beside a maintained engine (Tantivy's Python binding) and FTS5's own BM25.

Not part of ``make bench``: Tantivy is not a dependency of the project
(``pip install tantivy`` into the virtualenv to run this). Two parts:

- quality, on the real corpus of ``tests/recipes/corpus/recipes.json``: the
  queries of ``tests/recipes/test_word_search.py`` with the recipe a cook
  expects first; each engine's first result, and whether "tomato" and
  "tomatoes" find the same recipes;
- speed, on the ``bench/scale.py`` SQLite database (``--size`` of its newest
  recipes): per query, the median and p99 of in-process calls for our search
  (``service._search``: words, typos, tiers, the count to 1,000, a page of
  25), for FTS5 ranked by ``bm25()`` (one statement, no tiers or typos), and
  for Tantivy (one query, BM25 with the name boosted, the exact count, the
  top 25; then the same ordered newest first).

See ``docs/decisions/0018-search-facets-and-speed.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "recipes" / "corpus" / "recipes.json"
SCALE_DB = Path.home() / ".cache" / "recipe-api" / "bench-scale" / "recipes_1000000.db"
FIELDS = ["label", "ingredients", "other"]
QUALITY = [
    ("soup broccoli", "Broccoli Soup with Coconut Milk"),
    ("coconut milk broccoli", "Broccoli Soup with Coconut Milk"),
    ("paprika roast chicken", "Alita Oliva\u2019s Roast Chicken"),
    ("cuban", "Alita Oliva\u2019s Roast Chicken"),
    ("drinks raspberry", "Raspberry Cocktails with Rosemary"),
    ("chocolate cake", "The Best Chocolate Cake Recipe {Ever}"),
    ("beef dumplings", "Mantu (Beef Dumplings)"),
    ("pizza", "Four Cheese Margherita Pizza"),
    ("shirmp butter", "Garlic Butter Shrimp (Fast & Easy Dinner!)"),
    ("lasagan", "Vegetarian Spinach Pumpkin Lasagna"),
    ("raspbery", "Raspberry Cocktails with Rosemary"),
    ("chocolatte cake", "The Best Chocolate Cake Recipe {Ever}"),
    ("rosenary", "Raspberry Cocktails with Rosemary"),
    ("jollof", "Ghana Jollof Rice"),
]
SPEED = ["chicken", "quince", "zzqxv", "chicken garlic rice", "chiken", "vegan", "minced"]


def _document(recipe: dict[str, Any]) -> dict[str, str]:
    other = [*recipe.get("tags", []), recipe.get("cuisine") or "", recipe.get("category") or ""]
    return {
        "label": recipe["label"],
        "ingredients": "\n".join(recipe.get("ingredients", [])),
        "other": "\n".join([*other, recipe.get("description") or ""]),
    }


class Tantivy:
    """An index of (id, label, ingredients, other), English stemming, the name boosted."""

    def __init__(self, rows: Iterable[tuple[int, dict[str, str]]], path: str) -> None:
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("id", stored=True, indexed=True, fast=True)
        for name in FIELDS:
            builder.add_text_field(name, tokenizer_name="en_stem")
        self.index = tantivy.Index(builder.build(), path=path)
        writer = self.index.writer(heap_size=256_000_000)
        for recipe_id, document in rows:
            writer.add_document(tantivy.Document(id=recipe_id, **document))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def query(self, words: str, *, fuzzy: bool) -> Any:
        # Every word required (the same "all the words" as ours); typos: one edit.
        typo = (False, 1, True)
        return self.index.parse_query(
            words,
            FIELDS,
            field_boosts={"label": 4.0, "ingredients": 2.0},
            fuzzy_fields={name: typo for name in FIELDS} if fuzzy else None,
            conjunction_by_default=True,
        )

    def search(self, words: str, *, newest: bool = False, limit: int = 25) -> tuple[list[int], int]:
        found = self.searcher.search(
            self.query(words, fuzzy=False), limit, count=True,
            **({"order_by_field": "id"} if newest else {}),
        )  # fmt: skip
        if found.count == 0:
            # No exact match: the typo-tolerant reading (as ours corrects only unknown words).
            found = self.searcher.search(self.query(words, fuzzy=True), limit, count=True)
        ids = [self.searcher.doc(address)["id"][0] for _, address in found.hits]
        return ids, int(found.count or 0)


def _timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def quality() -> None:
    recipes = json.loads(CORPUS.read_text())["recipes"]
    labels = {number: recipe["label"] for number, recipe in enumerate(recipes, 1)}
    with tempfile.TemporaryDirectory() as path:
        engine = Tantivy(((n, _document(r)) for n, r in enumerate(recipes, 1)), path)
        right = 0
        print("| query | expected first | Tantivy's first |")
        print("|---|---|---|")
        for query, expected in QUALITY:
            ids, _ = engine.search(query)
            first = labels[ids[0]] if ids else "(nothing)"
            right += first == expected
            print(f"| {query} | {expected} | {first}{'' if first == expected else ' ✗'} |")
        print(f"\nTantivy: {right} of {len(QUALITY)} first results as expected")
        tomato = set(engine.search("tomato", limit=50)[0])
        tomatoes = set(engine.search("tomatoes", limit=50)[0])
        print(f"tomato / tomatoes find the same recipes: {tomato == tomatoes}")


def speed(size: int, repeat: int) -> None:
    from sqlalchemy import text

    from recipe_api.db.engine import Database
    from recipe_api.recipes.search import service
    from recipe_api.recipes.search.query import SearchQuery

    db = Database.from_url(f"sqlite:///{SCALE_DB}")
    with db.engine.connect() as connection:
        (top,) = connection.execute(text("SELECT max(id) FROM recipe")).one()
        rows = connection.execute(
            text(
                "SELECT id, label, ingredients, tags, cuisine, category, description FROM recipe"
                " WHERE id > :floor"
            ),
            {"floor": top - size},
        ).mappings()
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as path:
            engine = Tantivy(((row["id"], _document(_loaded(row))) for row in rows), path)
            print(f"Tantivy: {size:,} recipes indexed in {time.perf_counter() - started:.0f} s\n")
            print("| query | ours (tiers, typos, count, page) | FTS5 bm25 top 25 |"
                  " Tantivy BM25 top 25 + count | Tantivy newest 25 + count |")  # fmt: skip
            print("|---|---:|---:|---:|---:|")
            bm25 = text(
                "SELECT rowid FROM recipe_search_fts WHERE recipe_search_fts MATCH :q"
                " ORDER BY bm25(recipe_search_fts, 4.0, 2.0, 1.0) LIMIT 25"
            )
            for words in SPEED:
                query = SearchQuery(keyword=words)
                ours = _timed(lambda q=query: service._search(connection, q, 25, None), repeat)
                fts = _timed(lambda w=words: connection.execute(bm25, {"q": w}).fetchall(), repeat)
                tantivy_rank = _timed(lambda w=words: engine.search(w), repeat)
                tantivy_new = _timed(lambda w=words: engine.search(w, newest=True), repeat)
                cells = " | ".join(
                    f"{p50:.2f} / {p99:.2f}" for p50, p99 in (ours, fts, tantivy_rank, tantivy_new)
                )
                print(f"| {words} | {cells} |")
    db.dispose()


def _loaded(row: Any) -> dict[str, Any]:
    recipe = dict(row)
    for name in ("ingredients", "tags"):
        if isinstance(recipe[name], str):
            recipe[name] = json.loads(recipe[name])
    return recipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    quality()
    if not args.skip_speed:
        speed(args.size, args.repeat)


if __name__ == "__main__":
    main()
