"""What the visibility predicate costs the search: p50 with it and without, on SQLite.

Builds (once, kept under ``~/.cache/recipe-api/bench-visibility``) a SQLite
database of ``--size`` demo recipes (``recipe-api db seed --demo``), one in
``--private-every`` of them made private and given to a second cook. Then
runs each search of ``bench/scale.py``'s list through the search's unit of
work (``Database.run_sync``, no HTTP, no answer cache) ``--runs`` times for
three viewers:

- a superuser: the predicate is ``1`` (no condition: the search as before);
- a visitor: ``recipe.private = 0``;
- a cook: ``recipe.private = 0 OR recipe.submitter_id = :id``.

Usage: ``.venv/bin/python bench/visibility.py [--size 100000] [--runs 30]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import SEARCHES  # noqa: E402

from recipe_api.db.engine import Database  # noqa: E402
from recipe_api.recipes.search.query import SearchQuery  # noqa: E402
from recipe_api.recipes.search.service import _search, _search_page  # noqa: E402
from recipe_api.recipes.visibility import ANONYMOUS, EVERYTHING, Viewer  # noqa: E402

CACHE = Path.home() / ".cache" / "recipe-api" / "bench-visibility"


def _database(size: int, private_every: int) -> str:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"recipes_{size}_{private_every}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        env = {**os.environ, "DATABASE_URL": url, "FIRST_SUPERUSER_PASSWORD": "bench pw 12345"}
        cli = [sys.executable, "-m", "recipe_api.cli"]
        print(f"building {path} ({size:,} recipes)...", flush=True)
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [*cli, "db", "seed", "--demo", str(size)],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        db = Database.from_url(url)
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO user (email, email_key, hashed_password, is_superuser) "
                    "VALUES ('cook@bench.example', 'cook@bench.example', 'x', 0)"
                )
            )
            connection.execute(
                text(
                    "UPDATE recipe SET private = 1, submitter_id = "
                    "(SELECT id FROM user WHERE email = 'cook@bench.example') "
                    "WHERE id % :every = 0"
                ),
                {"every": private_every},
            )
        db.dispose()
    return url


def _query(params: str, viewer: Viewer) -> SearchQuery:
    names = {"keyword": "keyword", "tag": "tag", "max_total_minutes": "max_total_minutes"}
    values: dict[str, object] = {names[k]: v for k, v in parse_qsl(params)}
    if "max_total_minutes" in values:
        values["max_total_minutes"] = int(str(values["max_total_minutes"]))
    return SearchQuery(**values, viewer=viewer)  # type: ignore[arg-type]


def _p50(db: Database, query: SearchQuery, runs: int, page: bool) -> float:
    unit = _search_page if page else _search
    db.run_sync(unit, query, 25, None)  # warm the page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        db.run_sync(unit, query, 25, None)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--private-every", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = _database(args.size, args.private_every)
    db = Database.from_url(url)
    with db.engine.connect() as connection:
        cook_id = connection.execute(
            text("SELECT id FROM user WHERE email = 'cook@bench.example'")
        ).scalar_one()
        private = connection.execute(text("SELECT count(*) FROM recipe WHERE private")).scalar()
    print(f"{args.size:,} recipes, {private:,} private (one cook's); p50 of {args.runs} runs, ms")
    viewers = {"none (superuser)": EVERYTHING, "visitor": ANONYMOUS, "cook": Viewer(cook_id)}
    print("| search | " + " | ".join(viewers) + " |")
    print("|---|" + "---:|" * len(viewers))
    cases = [(name, params, False) for name, params in SEARCHES.items()]
    cases.append(("website page, facets: chicken", "keyword=chicken", True))
    for name, params, page in cases:
        cells = [
            f"{_p50(db, _query(params, viewer), args.runs, page):.2f}"
            for viewer in viewers.values()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
