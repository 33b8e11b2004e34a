"""A week's plan and a week's shopping list for one cook among 10,000 with a million entries.

Not part of ``make bench-scale`` (which serves the recipe endpoints): this
times the two units of work themselves, through ``Database.run_sync``, on a
fresh database per backend that it builds and drops:

- 10,000 cooks with 100 plan entries each (1,000,000 entries; three meals
  a day for five weeks), on 1,000 recipes whose ingredient lines are real ones
  (tests/recipes/corpus), so a list merges real lines;
- the cook's week (about 7 entries) and their shopping list made from that
  week, each run ``--runs`` times: median and slowest.

Usage: ``.venv/bin/python bench/kitchen_scale.py [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from recipe_api.db import migrate  # noqa: E402
from recipe_api.db.engine import Database, normalize_url  # noqa: E402
from recipe_api.mealplan.service import _week  # noqa: E402
from recipe_api.shopping.service import _from_plan  # noqa: E402
from recipe_api.users.schemas import UserOut  # noqa: E402

COOKS = 10_000
ENTRIES_PER_COOK = 100
RECIPES = 1_000
START = date(2026, 1, 5)  # a Monday
MEALS = ("breakfast", "lunch", "dinner", "snack")


def _fill(db: Database) -> None:
    corpus = json.loads((ROOT / "tests/recipes/corpus/recipes.json").read_text())["recipes"]
    lists = [r["ingredients"] for r in corpus if r["ingredients"]]
    with db.engine.begin() as connection:
        connection.execute(
            text('INSERT INTO "user" (email, email_key, hashed_password) VALUES (:e, :e, :p)'),
            [{"e": f"cook{n}@example.com", "p": "x"} for n in range(COOKS)],
        )
        connection.execute(
            text(
                "INSERT INTO recipe (label, url, source, submitter_id, ingredients, servings) "
                "VALUES (:label, '', '', 1, :ingredients, '4')"
            ),
            [
                {"label": f"Recipe {n}", "ingredients": json.dumps(lists[n % len(lists)])}
                for n in range(RECIPES)
            ],
        )
        rows = [
            {
                "cook": cook + 1,
                "recipe": (cook * 7 + n) % RECIPES + 1,
                # Three meals a day: 100 entries over 34 days, 21 in a full week.
                "day": START + timedelta(days=n // 3),
                "meal": MEALS[n % 3],
            }
            for cook in range(COOKS)
            for n in range(ENTRIES_PER_COOK)
        ]
        for batch in range(0, len(rows), 50_000):
            connection.execute(
                text(
                    "INSERT INTO meal_plan_entry (cook_id, recipe_id, day, meal, servings) "
                    "VALUES (:cook, :recipe, :day, :meal, 4)"
                ),
                rows[batch : batch + 50_000],
            )
        if db.backend == "postgresql":
            connection.execute(text("ANALYZE"))


def _time(db: Database, runs: int) -> dict[str, list[float]]:
    cook = UserOut(
        id=COOKS // 2,
        email="cook@example.com",
        first_name=None,
        surname=None,
        is_superuser=False,
        created_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]
    )
    # A full week of this cook's plan: 21 entries.
    monday = START + timedelta(days=7)
    timings: dict[str, list[float]] = {"week": [], "list from the week": []}
    entries = 0
    for _ in range(runs):
        t = time.perf_counter()
        week = db.run_sync(_week, cook, monday)
        timings["week"].append(time.perf_counter() - t)
        entries = len(week.entries)
        t = time.perf_counter()
        found = db.run_sync(_from_plan, cook, monday, monday + timedelta(days=6))
        timings["list from the week"].append(time.perf_counter() - t)
    print(f"  the week holds {entries} entries; the list {found.total} lines")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a server URL (a database is created and dropped)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite": f"sqlite:///{folder}/kitchen.db"}
        admin = name = None
        if args.postgres:
            admin = normalize_url(args.postgres).set(drivername="postgresql")
            name = f"recipe_api_kitchen_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(admin.render_as_string(False), autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{name}"')
            urls["PostgreSQL"] = (
                normalize_url(args.postgres).set(database=name).render_as_string(False)
            )
        try:
            for backend, url in urls.items():
                migrate.upgrade(url)
                db = Database.from_url(url)
                try:
                    t = time.perf_counter()
                    _fill(db)
                    took = time.perf_counter() - t
                    print(f"{backend}: {COOKS * ENTRIES_PER_COOK:,} entries in {took:.0f} s")
                    for label, values in _time(db, args.runs).items():
                        ms = sorted(v * 1000 for v in values)
                        median = statistics.median(ms)
                        print(f"  {label}: median {median:.2f} ms, slowest {ms[-1]:.2f} ms")
                finally:
                    db.dispose()
        finally:
            if admin is not None:
                with psycopg.connect(admin.render_as_string(False), autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
