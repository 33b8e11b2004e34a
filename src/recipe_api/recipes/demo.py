"""Generated demo recipes: ``recipe-api db seed --demo N``.

Realistic enough to measure with: labels built from cuisine, ingredient and
dish words (so "chicken" is in about one label in fifty, "quince" in one in
ten thousand), eight to fourteen ingredient lines, four to eight steps, tags,
times and servings. Deterministic for a given count and seed.

Rows go in by the database's bulk path (``executemany`` on SQLite with the
search indexes filled afterwards in one statement each, ``COPY`` on
PostgreSQL with the GIN indexes built after the load), in one transaction.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

CUISINES = [
    "Italian", "Mexican", "Thai", "Indian", "French", "Japanese", "Greek", "Spanish",
    "Moroccan", "Korean", "Vietnamese", "Lebanese", "Hungarian", "Peruvian", "Turkish",
    "Ethiopian", "Chinese", "American", "British", "German",
]  # fmt: skip
# (word, weight) out of 1,000: "chicken" is in 2% of labels, as in the data
# the issue measured with; the long tail makes most words uncommon.
MAINS = [
    ("chicken", 20), ("beef", 18), ("pork", 16), ("salmon", 14), ("shrimp", 14), ("tofu", 12),
    ("lamb", 12), ("mushroom", 14), ("chickpea", 12), ("lentil", 12), ("cod", 10), ("duck", 8),
    ("eggplant", 12), ("cauliflower", 10), ("squash", 10), ("potato", 16), ("spinach", 10),
    ("halloumi", 6), ("octopus", 4), ("venison", 4), ("turkey", 14), ("tuna", 12),
    ("zucchini", 12), ("broccoli", 12), ("carrot", 12), ("kale", 10), ("bean", 16), ("rice", 20),
    ("noodle", 16), ("egg", 18), ("cheese", 18), ("tomato", 18), ("pepper", 16), ("corn", 12),
    ("pumpkin", 10), ("beet", 8), ("fennel", 8), ("leek", 8), ("sausage", 14), ("ham", 10),
    ("crab", 6), ("mussel", 6), ("scallop", 6), ("trout", 6), ("sardine", 4), ("anchovy", 4),
    ("paneer", 8), ("tempeh", 6), ("seitan", 4), ("farro", 4), ("quinoa", 10), ("barley", 6),
    ("apple", 14), ("pear", 8), ("plum", 6), ("cherry", 8), ("peach", 8), ("mango", 10),
    ("banana", 10), ("coconut", 10), ("almond", 8), ("walnut", 6), ("pistachio", 4),
]  # fmt: skip
MAINS.append(("vegetable", 1000 - sum(weight for _, weight in MAINS)))
# Words in about one recipe in 10,000: "quince" finds ~100 recipes in a million.
RARE_STYLES = ["Quince-glazed", "Sumac-dusted", "Yuzu"]
DISHES = [
    "stew", "curry", "soup", "salad", "tacos", "skewers", "pie", "risotto", "noodles",
    "casserole", "stir-fry", "bowl", "roast", "burgers", "dumplings", "flatbread", "braise",
    "gratin", "fritters", "pasta",
]  # fmt: skip
STYLES = [
    "Spicy", "Smoky", "Creamy", "Crispy", "Slow-cooked", "Lemony", "Garlicky", "Herbed",
    "Weeknight", "Sunday", "Grandma's", "Easy", "One-pan", "Sticky", "Charred",
]  # fmt: skip
PANTRY = [
    "2 cloves garlic, minced", "1 onion, finely chopped", "2 tablespoons olive oil",
    "1 teaspoon ground cumin", "1 teaspoon smoked paprika", "1 can (14 ounces) tomatoes",
    "1 cup chicken stock", "1/2 cup crème fraîche", "1 lemon, juiced", "Salt and pepper",
    "1 tablespoon soy sauce", "2 tablespoons butter", "1 bunch cilantro, chopped",
    "1 cup basmati rice", "200 g dried pasta", "1 tablespoon grated ginger",
    "1 red chili, sliced", "1 cup coconut milk", "2 carrots, diced", "1 teaspoon dried oregano",
    "1 bay leaf", "1/2 cup white wine", "2 eggs", "1 cup flour", "1 teaspoon sugar",
    "1 tablespoon honey", "1 cup frozen peas", "Fresh parsley, to serve", "1 pinch saffron",
    "1 jalapeño, seeded", "100 g feta, crumbled", "1 tablespoon sesame oil",
]  # fmt: skip
STEPS = [
    "Heat the oil in a large pan over medium-high heat.",
    "Season the {main} generously with salt and pepper.",
    "Brown the {main} on all sides, about 6 minutes; set aside.",
    "Soften the onion and garlic in the same pan, 5 minutes.",
    "Stir in the spices and cook until fragrant, 1 minute.",
    "Add the liquids, scrape up the browned bits and bring to a simmer.",
    "Return the {main} to the pan, cover and cook until tender, about {minutes} minutes.",
    "Taste, adjust the seasoning and finish with the herbs.",
    "Serve hot, with bread or rice.",
]
TAGS = [
    "quick", "weeknight", "vegetarian", "vegan", "gluten-free", "spicy", "comfort food",
    "healthy", "family", "make-ahead", "one pan", "summer", "winter", "party", "budget",
]  # fmt: skip
CATEGORIES = ["Main course", "Starter", "Side dish", "Soup", "Salad", "Snack"]


def _weighted(pairs: list[tuple[str, int]]) -> list[str]:
    return [word for word, weight in pairs for _ in range(weight)]


def generate(
    count: int, *, seed: int = 8, start: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """``count`` recipe rows (JSON lists already encoded), oldest first, a minute apart."""
    rng = random.Random(seed)
    mains = _weighted(MAINS)
    first = (start or datetime.now(UTC)) - timedelta(minutes=count)
    for number in range(count):
        cuisine = rng.choice(CUISINES)
        main = rng.choice(mains)
        dish = rng.choice(DISHES)
        style = rng.choice(RARE_STYLES) if rng.random() < 1e-4 else rng.choice(STYLES)
        label = f"{style} {cuisine} {main} {dish}"
        prep = rng.choice((5, 10, 15, 20, 30, 45))
        cook = rng.choice((0, 10, 15, 20, 30, 45, 60, 90, 120, 180))
        ingredients = [
            f"{rng.randint(1, 4)} pounds {main}",
            *rng.sample(PANTRY, rng.randint(7, 13)),
        ]
        steps = [
            step.format(main=main, minutes=cook or 10)
            for step in rng.sample(STEPS, rng.randint(4, 8))
        ]
        tags = [cuisine.lower(), *rng.sample(TAGS, rng.randint(1, 3))]
        yield {
            "label": label,
            "source": "Demo kitchen",
            "url": "",
            "description": f"A {rng.choice(STYLES).lower()} {dish} of {main}, the {cuisine} way.",
            "ingredients": json.dumps(ingredients),
            "instructions": json.dumps(steps),
            "tags": json.dumps(tags),
            "servings": str(rng.choice((2, 4, 4, 6, 8))),
            "prep_minutes": prep,
            "cook_minutes": cook,
            "total_minutes": prep + cook,
            "cuisine": cuisine,
            "category": rng.choice(CATEGORIES),
            "created_at": first + timedelta(minutes=number),
        }


_COLUMNS = [
    "label", "source", "url", "description", "ingredients", "instructions", "tags", "servings",
    "prep_minutes", "cook_minutes", "total_minutes", "cuisine", "category", "created_at",
]  # fmt: skip
_BATCH = 20_000

# What the insert triggers of migration 0005 (as 0014 left them) do for each new
# row, done once for all the new rows instead: each FTS5 table gets one INSERT ... SELECT.
_SQLITE_LINES = "(SELECT coalesce(group_concat(value, char(10)), '') FROM json_each({}))"
_SQLITE_FTS = {
    "recipe_ingredients_fts": _SQLITE_LINES.format("ingredients"),
    "recipe_tags_fts": _SQLITE_LINES.format("tags"),
}
# And the word search's (migration 0012): both its tables get the same three columns.
_SQLITE_WORD_DOCUMENT = (
    "label, "
    + _SQLITE_LINES.format("ingredients")
    + ", "
    + _SQLITE_LINES.format("tags")
    + " || char(10) || coalesce(cuisine, '') || char(10) || coalesce(category, '')"
    " || char(10) || description"
)
_SQLITE_WORD_FTS = ("recipe_search_fts", "recipe_words_fts")
_SQLITE_INSERT_TRIGGERS = {
    "recipe_fts_insert",
    "recipe_count_insert",
    "recipe_search_insert",
    "recipe_ingredient_words_insert",
}


def insert_demo_recipes(
    connection: Connection, count: int, *, submitter_id: int, rebuild_indexes: bool | None = None
) -> int:
    """Add ``count`` generated recipes by ``submitter_id``; returns how many were added.

    Bulk loading, in the caller's transaction: on SQLite the rows go in with
    the search-index and count insert triggers dropped, then each search
    index is filled by one statement and the count moved once (4x faster
    than the triggers at 100k rows); other triggers fire as usual. On
    PostgreSQL by ``COPY``; when ``rebuild_indexes`` (by default: when the
    new rows are at least as many as the old), the GIN indexes are dropped
    first and built again after, which is cheaper than growing them row by
    row. That holds a lock on the table until the commit.
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    rows = generate(count)
    if connection.dialect.name == "sqlite":
        _insert_sqlite(raw, rows, submitter_id)
    else:
        _insert_postgresql(raw, rows, submitter_id, count, rebuild_indexes)
    return count


def _insert_sqlite(raw: Any, rows: Iterator[dict[str, Any]], submitter_id: int) -> None:
    names = [*_COLUMNS, "submitter_id", "updated_at"]
    placeholders = ", ".join("?" for _ in names)
    sql = f"INSERT INTO recipe ({', '.join(names)}) VALUES ({placeholders})"
    cursor = raw.cursor()
    # The trigram indexes grow fast; a large page cache saves re-reading them.
    cursor.execute("PRAGMA cache_size = -262144")
    # Only the triggers whose work is done below in bulk are set aside; any
    # other (the recipes' version, say) keeps firing for each row.
    names_sql = ", ".join(f"'{name}'" for name in sorted(_SQLITE_INSERT_TRIGGERS))
    triggers = dict(
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({names_sql})"
        ).fetchall()
    )
    if set(triggers) != _SQLITE_INSERT_TRIGGERS:
        raise RuntimeError(
            "expected the insert triggers of migrations 0005, 0012 and 0029,"
            f" found {sorted(triggers)}"
        )
    # DDL is transactional in SQLite: the triggers are back before anyone else can write.
    for name in triggers:
        cursor.execute(f"DROP TRIGGER {name}")
    (last_id,) = cursor.execute("SELECT coalesce(max(id), 0) FROM recipe").fetchone()
    batch: list[tuple[Any, ...]] = []
    added = 0
    for row in rows:
        # SQLite keeps timestamps as text; this is the form its CURRENT_TIMESTAMP writes.
        stamp = row["created_at"].strftime("%Y-%m-%d %H:%M:%S")
        batch.append((*[row[name] for name in _COLUMNS[:-1]], stamp, submitter_id, stamp))
        if len(batch) == _BATCH:
            cursor.executemany(sql, batch)
            added += len(batch)
            batch.clear()
    if batch:
        cursor.executemany(sql, batch)
        added += len(batch)
    for fts, value in _SQLITE_FTS.items():
        cursor.execute(
            f"INSERT INTO {fts} (rowid, text) SELECT id, {value} FROM recipe WHERE id > ?",
            (last_id,),
        )
    for fts in _SQLITE_WORD_FTS:
        # The vocabulary holds the words of public recipes only (migration 0025).
        public = " AND private = 0" if fts == "recipe_words_fts" else ""
        cursor.execute(
            f"INSERT INTO {fts} (rowid, label, ingredients, other) "
            f"SELECT id, {_SQLITE_WORD_DOCUMENT} FROM recipe WHERE id > ?{public}",
            (last_id,),
        )
    # The names alone (migration 0025).
    cursor.execute(
        "INSERT INTO recipe_name_fts (rowid, label) SELECT id, label FROM recipe WHERE id > ?",
        (last_id,),
    )
    # The ingredients' words alone (migration 0029).
    cursor.execute(
        "INSERT INTO recipe_ingredient_words_fts (rowid, ingredients)"
        f" SELECT id, {_SQLITE_LINES.format('ingredients')} FROM recipe WHERE id > ?",
        (last_id,),
    )
    cursor.execute("UPDATE recipe_count SET recipes = recipes + ? WHERE id = 1", (added,))
    for statement in triggers.values():
        cursor.execute(statement)


def _insert_postgresql(
    raw: Any,
    rows: Iterator[dict[str, Any]],
    submitter_id: int,
    count: int,
    rebuild_indexes: bool | None,
) -> None:
    names = [*_COLUMNS, "submitter_id", "updated_at"]
    with raw.cursor() as cursor:
        if rebuild_indexes is None:
            # The planner's estimate is enough to choose (reltuples is -1 before any ANALYZE).
            cursor.execute(
                "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'recipe'::regclass"
            )
            rebuild_indexes = count >= cursor.fetchone()[0]
        indexes: list[tuple[str, str]] = []
        if rebuild_indexes:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = 'recipe' AND indexdef LIKE '% USING gin %'"
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        # COPY fires the per-statement count trigger once, with every row.
        copy_sql = f"COPY recipe ({', '.join(names)}) FROM STDIN"
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row((*[row[name] for name in _COLUMNS], submitter_id, row["created_at"]))
        if indexes:
            # Builds sort in memory when they can (the default is 64 MB).
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
