"""``make bench``: throughput and latency of the recipe endpoints and the ideas fan-out.

Every figure comes from this one run, measured side by side on this machine:
the bare FastAPI endpoint (a constant dict) and the tutorial's app give the
yardsticks, Recipe API is measured between them on the same seeded SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, free_port, rss_mb, server, uvicorn_argv
from loadgen import LoadResult, run_load

PATHS = {
    "read": "/api/v1/recipes/1",
    "search": "/api/v1/recipes/search/?keyword=chicken&max_results=10",
    "home": "/",
}


def _load(port: int, path: str, concurrency: int, seconds: float) -> LoadResult:
    return asyncio.run(run_load("127.0.0.1", port, path, concurrency=concurrency, duration=seconds))


def _row(name: str, what: str, result: LoadResult, base: float | None) -> str:
    ratio = f"{result.rps / base:5.2f}x" if base else "     "
    bad = sum(n for status, n in result.statuses.items() if status >= 400) + result.errors
    return (
        f"| {name:<18} | {what:<7} | {result.rps:8.0f} | {result.median * 1000:7.2f} "
        f"| {result.percentile(99) * 1000:7.2f} | {ratio} | {bad:5d} |"
    )


def recipes_bench(concurrency: int, seconds: float) -> dict[str, float]:
    from recipe_api.db import migrate
    from recipe_api.db.engine import Database
    from recipe_api.db.seed import seed

    workdir = Path(tempfile.mkdtemp(prefix="recipe-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(url)
    db = Database.from_url(url)
    db.run_sync(seed, superuser_email="admin@recipeapi.com", hashed_password=None)
    db.dispose()
    env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}

    apps: list[tuple[str, list[str], list[str]]] = []
    port = free_port()
    apps.append(("bare FastAPI", uvicorn_argv("tutorial_app:bare", port), ["read"]))
    port = free_port()
    apps.append(("tutorial app", uvicorn_argv("tutorial_app:app", port), list(PATHS)))
    port = free_port()
    recipe_api = [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port)]
    apps.append(("Recipe API", [*recipe_api, "--no-access-log"], list(PATHS)))

    print(f"\n## Recipes: one worker, {concurrency} concurrent clients, {seconds:.0f} s per row\n")
    print("| app                | path    |    req/s |  p50 ms |  p99 ms | vs tut |  errs |")
    print("|--------------------|---------|----------|---------|---------|--------|-------|")
    tutorial: dict[str, float] = {}
    figures: dict[str, float] = {}
    for name, argv, paths in apps:
        port = int(argv[argv.index("--port") + 1])
        bench_env = {
            **env,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])
            ),
        }
        with server(argv, port, bench_env, ready_path=PATHS["read"]) as process:
            for what in paths:
                _load(port, PATHS[what], concurrency, 1.0)  # warm-up
                result = _load(port, PATHS[what], concurrency, seconds)
                if name == "tutorial app":
                    tutorial[what] = result.rps
                print(
                    _row(name, what, result, tutorial.get(what) if name != "tutorial app" else None)
                )
                figures[f"{name}:{what}"] = result.rps
            memory = rss_mb(process.pid)
            figures[f"{name}:rss"] = memory
            print(f"| {name:<18} | RSS after the run: {memory:.0f} MB {' ' * 30}|")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measured row")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="emulated reddit latency")
    parser.add_argument("--only", choices=["recipes", "ideas"], default=None)
    args = parser.parse_args()
    if args.only in (None, "recipes"):
        recipes = recipes_bench(args.concurrency, args.seconds)
    else:
        recipes = {}
    if args.only in (None, "ideas"):
        from ideas import run_ideas_bench  # type: ignore[import-not-found]

        run_ideas_bench(latency=args.latency, recipe_read_rps=recipes.get("Recipe API:read"))


if __name__ == "__main__":
    main()
