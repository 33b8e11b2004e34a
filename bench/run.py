"""``make bench``: the recipe endpoints, the ideas fan-out and a signup burst.

Every figure comes from this one run, measured side by side on this machine.
The yardsticks: the tutorial's part-9 app on its own pinned stack (its own
virtualenv, see pinned_venv.py), the same app re-written on today's stack, a
bare FastAPI endpoint (a constant dict) on both stacks, and on PostgreSQL a
raw asyncpg read behind a bare ASGI callable. Recipe API is measured between
them on the same seeded SQLite file (and PostgreSQL database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
# The tutorial has no recipe or search page: those rows compare with bare only.
TUTORIAL_PATHS = ["read", "search", "home"]


ROWS = 1000
WORDS = ["Chicken", "Beef", "Tofu", "Lentil", "Mushroom", "Salmon", "Pork", "Squash"]
DISHES = ["Curry", "Stew", "Pie", "Salad", "Soup", "Roast", "Tacos", "Risotto"]


def _load(
    port: int,
    path: str,
    concurrency: int,
    seconds: float,
    request_of: Callable[[], bytes] | None = None,
) -> LoadResult:
    return asyncio.run(
        run_load(
            "127.0.0.1",
            port,
            path,
            concurrency=concurrency,
            duration=seconds,
            request_of=request_of,
        )
    )


def _prepare(url: str, rows: int = ROWS) -> None:
    """Migrate, seed, and add recipes up to ``rows`` (the same data for every app)."""
    from sqlalchemy import func, insert, select

    from recipe_api.db import migrate
    from recipe_api.db.engine import Database
    from recipe_api.recipes.models import recipe_table
    from recipe_api.seed import seed
    from recipe_api.users.models import user_table

    migrate.upgrade(url)
    db = Database.from_url(url)
    db.run_sync(seed, superuser_email="admin@recipeapi.com", hashed_password=None)

    def fill(connection: Any) -> None:
        have = connection.execute(select(func.count()).select_from(recipe_table)).scalar_one()
        submitter = connection.execute(select(user_table.c.id)).scalars().first()
        more = [
            {
                "label": f"{WORDS[n % len(WORDS)]} {DISHES[n // len(WORDS) % len(DISHES)]} {n}",
                "source": "Bench Kitchen",
                "url": f"https://example.com/recipes/{n}",
                "submitter_id": submitter,
            }
            for n in range(have, rows)
        ]
        if more:
            connection.execute(insert(recipe_table), more)

    db.run_sync(fill)
    db.dispose()


@contextlib.contextmanager
def _postgres_database(server_url: str) -> Iterator[str]:
    """A scratch database on the server ``server_url`` names, dropped afterwards."""
    import psycopg

    from recipe_api.db.engine import normalize_url

    admin = normalize_url(server_url).set(drivername="postgresql").render_as_string(False)
    name = f"recipe_api_bench_{os.getpid()}"  # another checkout may be benchmarking too
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield normalize_url(server_url).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench_database(stack: contextlib.ExitStack, postgres: str | None, prefix: str) -> str:
    """A prepared 1k-row database: a scratch one on ``postgres``, else a new SQLite file."""
    if postgres:
        url = stack.enter_context(_postgres_database(postgres))
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix=prefix)) / 'bench.db'}"
    _prepare(url)
    return url


@dataclass
class App:
    name: str
    argv: list[str]
    paths: list[str]
    database_url: str
    pythonpath: str
    port: int = 0


def _median(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


TUTORIAL = "tutorial, its code on its pins"
REWRITE = "tutorial re-written on today's stack"
BARE = "bare FastAPI (today)"
BARE_PINNED = "bare FastAPI 0.68 (pins)"
OURS = "Recipe API"
OURS_BASELINE = "Recipe API, baseline"
OURS_PG = "Recipe API on PG"
ASYNCPG = "raw asyncpg ASGI"
OURS_PG_MANY = "Recipe API on PG, 4 workers"
OURS_BASELINE_PG = "Recipe API on PG, baseline"


def recipes_bench(
    concurrency: int,
    seconds: float,
    rounds: int,
    postgres: str | None,
    baseline: Path | None = None,
    wanted: list[str] | None = None,
    cache_mb: int | None = None,
    pg_workers: int = 1,
) -> dict[str, float]:
    """All servers run at once; each round loads each (server, path) in turn.

    Interleaving rounds and taking the median per row keeps a burst of noise
    on this shared machine from landing on one server only.
    """
    from pinned_venv import APP_DIR, tutorial_python

    workdir = Path(tempfile.mkdtemp(prefix="recipe-bench-"))
    sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
    _prepare(sqlite_url)
    bench_dir = str(ROOT / "bench")
    cli = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log", "--port"]
    apps: list[App] = [
        App(BARE, uvicorn_argv("tutorial_modern_app:bare", 0), ["read"], "", bench_dir)
    ]
    pinned = tutorial_python()
    if pinned is not None:
        pinned_argv = [str(pinned), *uvicorn_argv("app.main:app", 0)[1:]]
        apps.append(App(TUTORIAL, pinned_argv, TUTORIAL_PATHS, sqlite_url, str(APP_DIR)))
        bare_argv = [str(pinned), *uvicorn_argv("bare:bare", 0)[1:]]
        apps.append(App(BARE_PINNED, bare_argv, ["read"], "", str(APP_DIR)))
    apps += [
        App(
            REWRITE,
            uvicorn_argv("tutorial_modern_app:app", 0),
            TUTORIAL_PATHS,
            sqlite_url,
            bench_dir,
        ),
        App(OURS, [*cli, "0"], list(PATHS), sqlite_url, bench_dir),
    ]
    if baseline is not None:
        # The other checkout's src/ first on the path, so its recipe_api is the one served.
        source = os.pathsep.join([str(baseline), bench_dir])
        # --no-migrate: the file is at this checkout's head, which an older one does not know.
        baseline_cli = [*cli[:-1], "--no-migrate", "--port", "0"]
        apps.append(App(OURS_BASELINE, baseline_cli, list(PATHS), sqlite_url, source))
    with contextlib.ExitStack() as stack:
        if postgres:
            pg_url = stack.enter_context(_postgres_database(postgres))
            _prepare(pg_url)
            apps.append(App(OURS_PG, [*cli, "0"], list(PATHS), pg_url, bench_dir))
            if baseline is not None:
                source = os.pathsep.join([str(baseline), bench_dir])
                baseline_cli = [*cli[:-1], "--no-migrate", "--port", "0"]
                apps.append(App(OURS_BASELINE_PG, baseline_cli, ["read", "search"], pg_url, source))
            if pg_workers > 1:
                many = [*cli[:-1], "--workers", str(pg_workers), "--port", "0"]
                apps.append(App(OURS_PG_MANY, many, ["read", "search"], pg_url, bench_dir))
            apps.append(
                App(ASYNCPG, uvicorn_argv("asyncpg_app:app", 0), ["read"], pg_url, bench_dir)
            )
        processes = {}
        for app in apps:
            app.port = free_port()
            app.argv[app.argv.index("--port") + 1] = str(app.port)
            env = {
                "DATABASE_URL": app.database_url or sqlite_url,
                "LOG_LEVEL": "WARNING",
                # Metrics and request ids on, as they would be in production.
                "METRICS_ENABLED": "true",
                **({} if cache_mb is None else {"ANSWER_CACHE_MB": str(cache_mb)}),
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [app.pythonpath, os.environ.get("PYTHONPATH")])
                ),
            }
            processes[app.name] = stack.enter_context(
                server(app.argv, app.port, env, PATHS["read"])
            )
        if wanted is not None:
            for app in apps:
                app.paths = [what for what in app.paths if what in wanted or what == "read"]
        results: dict[tuple[str, str], list[LoadResult]] = {}
        for app in apps:
            for what in app.paths:
                _load(app.port, PATHS[what], concurrency, 1.0)  # warm-up
        for _ in range(rounds):
            for app in apps:
                for what in app.paths:
                    result = _load(app.port, PATHS[what], concurrency, seconds)
                    results.setdefault((app.name, what), []).append(result)
        memory = {name: rss_mb(process.pid) for name, process in processes.items()}

    figures: dict[str, float] = {}
    median = {key: _median(runs) for key, runs in results.items()}
    for (name, what), run in median.items():
        figures[f"{name}:{what}"] = run.rps

    def ratio(name: str, what: str, versus: str, vs_what: str | None = None) -> str:
        mine, theirs = median.get((name, what)), median.get((versus, vs_what or what))
        if mine is None or theirs is None or theirs.rps == 0:
            return ""
        return f"{mine.rps / theirs.rps:.2f}x"

    def line(name: str, what: str, *ratios: str) -> None:
        run = median[(name, what)]
        bad = sum(n for status, n in run.statuses.items() if status >= 300) + run.errors
        cells = " | ".join(ratios)
        print(
            f"| {name} | {what} | {run.rps:,.0f} | {run.median * 1000:.2f} | "
            f"{run.percentile(99) * 1000:.2f} | {cells} | {bad} |"
        )

    cache = "" if cache_mb is None else f", ANSWER_CACHE_MB={cache_mb} for Recipe API"
    print(
        f"\n## Recipes on SQLite ({ROWS:,} rows): one worker each, {concurrency} concurrent "
        f"clients, median of {rounds} interleaved {seconds:.0f} s runs per row{cache}\n"
    )
    if pinned is None:
        print("(the tutorial's pinned virtualenv could not be built: its rows are missing)\n")
    print(
        "| app | path | req/s | p50 ms | p99 ms | vs tutorial on its pins "
        "| vs tutorial re-written | of bare FastAPI | non-2xx |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for app in apps:
        if app.name in (OURS_PG, ASYNCPG, OURS_PG_MANY, OURS_BASELINE_PG):
            continue
        for what in app.paths:
            line(
                app.name,
                what,
                "" if app.name == TUTORIAL else ratio(app.name, what, TUTORIAL),
                "" if app.name == REWRITE else ratio(app.name, what, REWRITE),
                ratio(app.name, what, BARE, "read").rstrip("x"),
            )
    if postgres:
        print(
            f"\n## Recipes on PostgreSQL ({ROWS:,} rows), the same run: Recipe API beside "
            "a raw asyncpg read of the same row\n"
        )
        print(
            "| app | path | req/s | p50 ms | p99 ms | of raw asyncpg read | of bare FastAPI "
            "| vs ours on SQLite | non-2xx |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in (ASYNCPG, OURS_BASELINE_PG, OURS_PG, OURS_PG_MANY):
            for what in next((app.paths for app in apps if app.name == name), []):
                line(
                    name,
                    what,
                    ratio(name, what, ASYNCPG, "read").rstrip("x"),
                    ratio(name, what, BARE, "read").rstrip("x"),
                    ratio(name, what, OURS) if name != ASYNCPG else "",
                )
        if pg_workers > 1:
            print(
                f"\n{pg_workers} workers over one on PostgreSQL: read "
                f"{ratio(OURS_PG_MANY, 'read', OURS_PG)}, search "
                f"{ratio(OURS_PG_MANY, 'search', OURS_PG)}"
            )
    print()
    for name, mb in memory.items():
        # Issue 25's anchor: one worker under 100 MB after load on SQLite.
        aim = " (aim: under 100 MB)" if name == OURS else ""
        print(f"- {name}: worker RSS after the runs {mb:.0f} MB{aim}")
        figures[f"{name}:rss"] = mb
    return figures


def _request(method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\n{headers}"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _bearer(port: int) -> str:
    """A cook's ``Authorization`` header line on our server (signed up and logged in)."""
    import httpx

    base = f"http://127.0.0.1:{port}/api/v1/auth"
    account = {"email": "writer@example.com", "password": "a long bench password"}
    httpx.post(f"{base}/signup", json=account, timeout=30)
    login = {"username": account["email"], "password": account["password"]}
    token = httpx.post(f"{base}/login", data=login, timeout=30).json()["access_token"]
    return f"Authorization: Bearer {token}\r\n"


def writes_bench(concurrency: int, seconds: float, rounds: int) -> dict[str, float]:
    """``POST /recipes/`` and ``PATCH`` beside the tutorial's create; a 95/5 read/write mix.

    SQLite, 1k rows, one worker each, the answer cache on (the default). The
    tutorial (part 9, on its pins) has no login yet: its create takes
    ``submitter_id`` in the body; ours is a logged-in cook's.
    """
    import random

    from pinned_venv import APP_DIR, tutorial_python

    workdir = Path(tempfile.mkdtemp(prefix="recipe-bench-writes-"))
    sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
    _prepare(sqlite_url)
    bench_dir = str(ROOT / "bench")
    cli = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log", "--port"]
    apps = [App(OURS, [*cli, "0"], [], sqlite_url, bench_dir)]
    pinned = tutorial_python()
    if pinned is not None:
        pinned_argv = [str(pinned), *uvicorn_argv("app.main:app", 0)[1:]]
        apps.append(App(TUTORIAL, pinned_argv, [], sqlite_url, str(APP_DIR)))
    counter = [0]

    def body(submitter: str = "") -> bytes:
        counter[0] += 1
        n = counter[0]
        return (
            f'{{"label":"Bench Stew {n}","source":"Bench Kitchen",'
            f'"url":"https://example.com/bench/{n}"{submitter}}}'
        ).encode()

    def theirs() -> bytes:
        return body(',"submitter_id":1')

    results: dict[tuple[str, str], list[LoadResult]] = {}
    with contextlib.ExitStack() as stack:
        for app in apps:
            app.port = free_port()
            app.argv[app.argv.index("--port") + 1] = str(app.port)
            env = {
                "DATABASE_URL": sqlite_url,
                "LOG_LEVEL": "WARNING",
                "METRICS_ENABLED": "true",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [app.pythonpath, os.environ.get("PYTHONPATH")])
                ),
            }
            stack.enter_context(server(app.argv, app.port, env, PATHS["read"]))
        auth = _bearer(apps[0].port)
        import httpx

        mine = httpx.post(
            f"http://127.0.0.1:{apps[0].port}/api/v1/recipes/",
            json={"label": "Bench Soup", "source": "Bench Kitchen"},
            headers={"Authorization": auth.split(": ", 1)[1].strip()},
            timeout=30,
        ).json()["id"]
        # Ours: a logged-in cook; the tutorial's create names the submitter in the body.
        loads: dict[str, dict[str, Callable[[], bytes]]] = {
            OURS: {
                "create": lambda: _request("POST", "/api/v1/recipes/", body(), auth),
                "patch": lambda: _request(
                    "PATCH", f"/api/v1/recipes/{mine}", b'{"source":"Bench Kitchen"}', auth
                ),
                "mix 95/5": lambda: (
                    _request("POST", "/api/v1/recipes/", body(), auth)
                    if random.random() < 0.05
                    else _request("GET", f"/api/v1/recipes/{random.randint(1, ROWS)}")
                ),
            },
            TUTORIAL: {
                "create": lambda: _request("POST", "/api/v1/recipes/", theirs()),
                "mix 95/5": lambda: (
                    _request("POST", "/api/v1/recipes/", theirs())
                    if random.random() < 0.05
                    else _request("GET", f"/api/v1/recipes/{random.randint(1, ROWS)}")
                ),
            },
        }
        for _ in range(rounds):
            for app in apps:
                for what, request_of in loads[app.name].items():
                    run = _load(app.port, "/", concurrency, seconds, request_of)
                    results.setdefault((app.name, what), []).append(run)
    median = {key: _median(runs) for key, runs in results.items()}
    print(
        f"\n## Writes on SQLite ({ROWS:,} rows to start): one worker each, {concurrency} "
        f"concurrent clients, median of {rounds} interleaved {seconds:.0f} s runs, cache on\n"
    )
    print("| app | load | req/s | p50 ms | p99 ms | vs tutorial's create | vs its mix | non-2xx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    figures: dict[str, float] = {}
    for (name, what), run in median.items():
        figures[f"{name}:{what}"] = run.rps
        create = median.get((TUTORIAL, "create"))
        mix = median.get((TUTORIAL, "mix 95/5"))
        vs_create = f"{run.rps / create.rps:.2f}x" if create and what != "mix 95/5" else ""
        vs_mix = f"{run.rps / mix.rps:.2f}x" if mix and what == "mix 95/5" else ""
        bad = sum(n for status, n in run.statuses.items() if status >= 300) + run.errors
        print(
            f"| {name} | {what} | {run.rps:,.0f} | {run.median * 1000:.2f} | "
            f"{run.percentile(99) * 1000:.2f} | {vs_create} | {vs_mix} | {bad} |"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per row")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="emulated reddit latency")
    parser.add_argument("--only", choices=["recipes", "writes", "ideas", "signup"], default=None)
    parser.add_argument(
        "--cache-mb",
        type=int,
        default=None,
        help="ANSWER_CACHE_MB for Recipe API (0: every answer built, as after any write)",
    )
    parser.add_argument(
        "--pg-workers",
        type=int,
        default=4,
        help="with --postgres, also Recipe API with this many workers (1: not)",
    )
    parser.add_argument(
        "--paths",
        default=",".join(PATHS),
        help=f"which recipe paths to load, comma-separated (of: {', '.join(PATHS)})",
    )
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
        wanted = [path.strip() for path in args.paths.split(",") if path.strip()]
        unknown = set(wanted) - set(PATHS)
        if unknown:
            parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
        recipes = recipes_bench(
            args.concurrency,
            args.seconds,
            args.rounds,
            args.postgres,
            args.baseline,
            wanted,
            cache_mb=args.cache_mb,
            pg_workers=args.pg_workers,
        )
    else:
        recipes = {}
    if args.only in (None, "writes"):
        writes_bench(args.concurrency, args.seconds, args.rounds)
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
