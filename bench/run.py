"""``make bench``: the recipe endpoints, the ideas fan-out and a signup burst.

Every figure comes from this one run, measured side by side on this machine:
the bare FastAPI endpoint (a constant dict) and the tutorial's app give the
yardsticks, Recipe API is measured between them on the same seeded SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, free_port, rss_mb, server, uvicorn_argv
from loadgen import LoadResult, run_load

PATHS = {
    "read": "/api/v1/recipes/1",
    "search": "/api/v1/recipes/search/?keyword=chicken&max_results=10",
    "home": "/",
    # The website's pages: the same reads as the API, rendered to HTML.
    "recipe page": "/recipes/1",
    "search page": "/search?q=chicken",
}
TUTORIAL_PATHS = ["read", "search", "home"]


def _load(port: int, path: str, concurrency: int, seconds: float) -> LoadResult:
    return asyncio.run(run_load("127.0.0.1", port, path, concurrency=concurrency, duration=seconds))


def _prepare(url: str) -> None:
    from recipe_api.db import migrate
    from recipe_api.db.engine import Database
    from recipe_api.db.seed import seed

    migrate.upgrade(url)
    db = Database.from_url(url)
    db.run_sync(seed, superuser_email="admin@recipeapi.com", hashed_password=None)
    db.dispose()


@contextlib.contextmanager
def _postgres_database(server_url: str) -> Iterator[str]:
    """A scratch database on the server ``server_url`` names, dropped afterwards."""
    import psycopg

    from recipe_api.db.engine import normalize_url

    admin = normalize_url(server_url).set(drivername="postgresql").render_as_string(False)
    name = "recipe_api_bench"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield normalize_url(server_url).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def recipes_bench(
    concurrency: int,
    seconds: float,
    rounds: int,
    postgres: str | None,
    baseline: Path | None = None,
) -> dict[str, float]:
    """All servers run at once; each round loads each (server, path) in turn.

    Interleaving rounds and taking the median per row keeps a burst of noise
    on this shared machine from landing on one server only.
    """
    workdir = Path(tempfile.mkdtemp(prefix="recipe-bench-"))
    sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
    _prepare(sqlite_url)
    cli = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log", "--port"]
    apps: list[tuple[str, list[str], list[str], str]] = [
        ("bare FastAPI", uvicorn_argv("tutorial_app:bare", free_port()), ["read"], sqlite_url),
        ("tutorial app", uvicorn_argv("tutorial_app:app", free_port()), TUTORIAL_PATHS, sqlite_url),
        ("Recipe API", [*cli, str(free_port())], list(PATHS), sqlite_url),
    ]
    if baseline is not None:
        apps.append(("Recipe API, baseline", [*cli, str(free_port())], ["read"], sqlite_url))
    with contextlib.ExitStack() as stack:
        if postgres:
            pg_url = stack.enter_context(_postgres_database(postgres))
            _prepare(pg_url)
            pg_paths = ["read", "search", "recipe page", "search page"]
            apps.append(("Recipe API on PG", [*cli, str(free_port())], pg_paths, pg_url))
        processes = {}
        for name, argv, _paths, url in apps:
            port = int(argv[argv.index("--port") + 1])
            source = [str(baseline)] if baseline is not None and "baseline" in name else []
            env = {
                "DATABASE_URL": url,
                "LOG_LEVEL": "WARNING",
                # Metrics and request ids on, as they would be in production.
                "METRICS_ENABLED": "true",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [*source, str(ROOT / "bench"), os.environ.get("PYTHONPATH")])
                ),
            }
            processes[name] = (port, stack.enter_context(server(argv, port, env, PATHS["read"])))
        results: dict[tuple[str, str], list[LoadResult]] = {}
        for name, _argv, paths, _url in apps:
            for what in paths:
                _load(processes[name][0], PATHS[what], concurrency, 1.0)  # warm-up
        for _ in range(rounds):
            for name, _argv, paths, _url in apps:
                for what in paths:
                    result = _load(processes[name][0], PATHS[what], concurrency, seconds)
                    results.setdefault((name, what), []).append(result)
        memory = {name: rss_mb(process.pid) for name, (_port, process) in processes.items()}

    def median_run(runs: list[LoadResult]) -> LoadResult:
        return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]

    print(
        f"\n## Recipes: one worker each, {concurrency} concurrent clients, "
        f"median of {rounds} interleaved {seconds:.0f} s runs per row\n"
    )
    print("| app | path | req/s | p50 ms | p99 ms | vs tutorial | vs bare | non-2xx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    figures: dict[str, float] = {}
    bare = median_run(results[("bare FastAPI", "read")]).rps
    for (name, what), runs in results.items():
        run = median_run(runs)
        # The tutorial has no recipe or search page: those rows compare with bare only.
        tutorial_runs = results.get(("tutorial app", what))
        bad = sum(n for status, n in run.statuses.items() if status >= 300) + run.errors
        vs_tutorial = ""
        if tutorial_runs and name != "tutorial app":
            vs_tutorial = f"{run.rps / median_run(tutorial_runs).rps:.2f}x"
        print(
            f"| {name} | {what} | {run.rps:,.0f} | {run.median * 1000:.2f} | "
            f"{run.percentile(99) * 1000:.2f} | {vs_tutorial} | {run.rps / bare:.2f} | {bad} |"
        )
        figures[f"{name}:{what}"] = run.rps
    print()
    for name, mb in memory.items():
        print(f"- {name}: worker RSS after the runs {mb:.0f} MB")
        figures[f"{name}:rss"] = mb
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per row")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="emulated reddit latency")
    parser.add_argument("--only", choices=["recipes", "ideas", "signup"], default=None)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL"),
        help="a PostgreSQL server URL: adds Recipe API rows on a scratch database there",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=os.environ.get("BENCH_BASELINE_SRC"),
        help="src/ of another checkout (e.g. a git worktree of main): measured beside this one",
    )
    args = parser.parse_args()
    if args.only in (None, "recipes"):
        recipes = recipes_bench(
            args.concurrency, args.seconds, args.rounds, args.postgres, args.baseline
        )
    else:
        recipes = {}
    if args.only in (None, "ideas"):
        from ideas import run_ideas_bench  # type: ignore[import-not-found]

        run_ideas_bench(
            latency=args.latency,
            recipe_read_rps=recipes.get("Recipe API:read"),
            baseline=args.baseline,
        )
    if args.only in (None, "signup"):
        from signup_burst import run_signup_burst_bench

        run_signup_burst_bench()


if __name__ == "__main__":
    main()
