"""Where Recipe API's per-request time goes: py-spy samples of one worker under load.

``python bench/profile_hotpaths.py [--seconds 8] [--postgres URL]`` starts
Recipe API (one worker, as ``make bench`` does), drives each hot path (read,
search, home) with the load generator in another process, and samples the
worker with py-spy meanwhile (``--nonblocking``, 250 Hz). Each row of the
table is the share of the worker's busy samples whose stack passes through a
part of the request: the server outside the app, the middleware chain and
routing, FastAPI's dependency resolution and request validation, the endpoint
and its database call, response validation and serialisation, the template,
and the send down to the socket. Rows nest, so an indented row is part of the
one above it. The follow-up optimisation aims where these say the time is.
py-spy needs ptrace on the worker (root, or ``kernel.yama.ptrace_scope=0``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, free_port, server
from run import PATHS, _postgres_database, _prepare

Stack = list[str]


def _has(*names: str) -> Callable[[Stack], bool]:
    return lambda frames: any(frame.startswith(names) for frame in frames)


def _in_file(part: str) -> Callable[[Stack], bool]:
    return lambda frames: any(part in frame for frame in frames)


def _leaf(*names: str) -> Callable[[Stack], bool]:
    return lambda frames: bool(frames) and frames[-1].startswith(names)


def _leaf_in(part: str) -> Callable[[Stack], bool]:
    return lambda frames: bool(frames) and part in frames[-1]


def _not(test: Callable[[Stack], bool]) -> Callable[[Stack], bool]:
    return lambda frames: not test(frames)


def _either(a: Callable[[Stack], bool], b: Callable[[Stack], bool]) -> Callable[[Stack], bool]:
    return lambda frames: a(frames) or b(frames)


def _both(a: Callable[[Stack], bool], b: Callable[[Stack], bool]) -> Callable[[Stack], bool]:
    return lambda frames: a(frames) and b(frames)


# Each row: the share of the worker's busy samples whose stack passes the test.
# Rows nest (an indented row is part of the one above); they are not exclusive.
ROWS: list[tuple[str, Callable[[Stack], bool]]] = [
    (
        "outside the app: uvicorn's HTTP parsing, the event loop, GC",
        _not(_has("FastAPI.__call__ ")),
    ),
    ("inside the app (FastAPI.__call__)", _has("FastAPI.__call__ ")),
    (
        "  middleware chain and routing, before the route (app minus APIRoute.handle)",
        _both(_has("FastAPI.__call__ "), _not(_has("APIRoute.handle "))),
    ),
    ("    of which route matching", _has("_IncludedRouter._match ", "Router._match ")),
    ("  the route (APIRoute.handle)", _has("APIRoute.handle ")),
    ("    dependency resolution + request validation", _has("solve_dependencies ")),
    ("    the endpoint (run_endpoint_function)", _has("run_endpoint_function ")),
    (
        "      Database (run, read, read_bounded, read_row: connection, query, rows)",
        _has(
            "Database.run ", "Database.read ", "Database.read_bounded ", "Database.read_statement "
        ),
    ),
    (
        "        SQLAlchemy execute and fetch",
        _both(
            _has(
                "Database.run ",
                "Database.read ",
                "Database.read_bounded ",
                "Database.read_statement ",
            ),
            _in_file("sqlalchemy/"),
        ),
    ),
    (
        "          of which the driver call itself (execute, fetch)",
        _either(
            _leaf("DefaultDialect.do_execute ", "CursorFetchStrategy.fetch"),
            _leaf_in("asyncpg/"),
        ),
    ),
    ("        Pydantic model_validate of the rows", _has("BaseModel.model_validate ")),
    ("      template rendering (Jinja2, incl. url_for)", _has("Template.render ")),
    ("        url_for in the template", _has("HTTPConnection.url_for ")),
    ("    response model validation + serialisation", _has("serialize_response ")),
    (
        "    response body rendering (Response.__init__)",
        _has("Response.__init__ ", "_TemplateResponse.__init__ "),
    ),
    (
        "    sending: the ASGI send chain down to the socket",
        _has("Response.__call__ ", "_TemplateResponse.__call__ "),
    ),
    ("      of which uvicorn's transport.write calls", _leaf("RequestResponseCycle.send ")),
    ("edge middleware (ours: ids, timing, headers, metrics; own frames)", _leaf("EdgeMiddleware.")),
    ("the recipes version read (cached answers)", _has("recipes_version ")),
    ("FastAPI's telemetry middleware (own frames)", _leaf_in("fastapi/telemetry/")),
]


# Self time: each sample goes to the owner of its innermost Python frame (first match).
# Unlike the nested rows this is exact even where py-spy cuts a coroutine or greenlet
# stack short (it does on PostgreSQL, where SQLAlchemy runs the query in a greenlet).
OWNERS: list[tuple[str, tuple[str, ...]]] = [
    ("uvicorn: transport.write of the head and the body", ("RequestResponseCycle.send ",)),
    ("uvicorn: HTTP parsing, protocol, scope", ("uvicorn/",)),
    ("event loop (asyncio, uvloop), native, GC", ("asyncio/", "uvloop", "<native>")),
    (
        "database driver call (sqlite3 execute/fetch, asyncpg)",
        ("DefaultDialect.do_execute ", "CursorFetchStrategy.fetch", "asyncpg/", "psycopg/"),
    ),
    ("SQLAlchemy Core (statement execution, result rows)", ("sqlalchemy/", "greenlet")),
    ("FastAPI dependency resolution + parameter validation", ("fastapi/dependencies/",)),
    ("FastAPI routing, request handler, serialisation", ("fastapi/routing.py", "fastapi/_compat")),
    ("FastAPI's other middleware (telemetry, body limit, exit stack)", ("fastapi/",)),
    ("Starlette: middleware, routing, Request, Response", ("starlette/",)),
    ("Pydantic (validation, JSON dump)", ("pydantic",)),
    ("Jinja2, MarkupSafe, the template", ("jinja2/", "markupsafe/", ".html)")),
    ("ours: middleware", ("recipe_api/http/middleware.py", "recipe_api/http/methods.py")),
    (
        "metrics and request ids (prometheus_client, asgi-correlation-id, ours)",
        ("prometheus_client/", "asgi_correlation_id/", "uuid.py", "recipe_api/observability.py"),
    ),
    ("ours: database layer (Database.run, column types)", ("recipe_api/db/",)),
    ("ours: recipes, pages (service, repository, router)", ("recipe_api/",)),
]
OTHER = "standard library, other"


def owner_shares(stacks: list[tuple[Stack, int]]) -> dict[str, float]:
    total = sum(n for _frames, n in stacks) or 1
    counts = dict.fromkeys([name for name, _marks in OWNERS] + [OTHER], 0)
    for frames, n in stacks:
        leaf = frames[-1] if frames and frames[-1] else "<native>"
        name = next((name for name, marks in OWNERS if any(m in leaf for m in marks)), OTHER)
        counts[name] += n
    return {name: count / total for name, count in counts.items()}


def _read_stacks(raw: Path) -> list[tuple[Stack, int]]:
    stacks = []
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        stacks.append((frames, int(n)))
    return stacks


def shares(stacks: list[tuple[Stack, int]]) -> dict[str, float]:
    total = sum(n for _frames, n in stacks) or 1
    return {label: sum(n for f, n in stacks if test(f)) / total for label, test in ROWS}


def profile_path(port: int, pid: int, what: str, seconds: float, concurrency: int) -> Path:
    raw = Path(tempfile.mkdtemp(prefix="recipe-profile-")) / f"{what}.txt"
    load = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, sys; sys.path.insert(0, 'bench'); from loadgen import run_load; "
            f"asyncio.run(run_load('127.0.0.1', {port}, {PATHS[what]!r}, "
            f"concurrency={concurrency}, duration={seconds + 2}))",
        ],
        cwd=ROOT,
    )
    try:
        subprocess.run(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(raw),
            ],
            check=True,
            capture_output=True,
        )
    finally:
        load.wait()
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"))
    parser.add_argument("--keep", action="store_true", help="print the raw sample files' paths")
    parser.add_argument(
        "--cache-mb", type=int, default=None, help="ANSWER_CACHE_MB (0: every answer built)"
    )
    parser.add_argument("--paths", default=",".join(PATHS), help="which paths, comma-separated")
    args = parser.parse_args()
    targets = [("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'profile.db'}")]
    with contextlib.ExitStack() as stack:
        if args.postgres:
            targets.append(("PostgreSQL", stack.enter_context(_postgres_database(args.postgres))))
        for label, url in targets:
            _prepare(url)
            port = free_port()
            argv = [
                sys.executable,
                "-m",
                "recipe_api.cli",
                "serve",
                "--no-access-log",
                "--port",
                str(port),
            ]
            env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "METRICS_ENABLED": "true"}
            if args.cache_mb is not None:
                env["ANSWER_CACHE_MB"] = str(args.cache_mb)
            columns: dict[str, dict[str, float]] = {}
            samples: dict[str, int] = {}
            owners: dict[str, dict[str, float]] = {}
            with server(argv, port, env, PATHS["read"]) as process:
                for what in [w.strip() for w in args.paths.split(",") if w.strip()]:
                    raw = profile_path(port, process.pid, what, args.seconds, args.concurrency)
                    if args.keep:
                        print(f"raw samples of {label} {what}: {raw}")
                    stacks = _read_stacks(raw)
                    samples[what] = sum(n for _f, n in stacks)
                    columns[what] = shares(stacks)
                    owners[what] = owner_shares(stacks)
            print(f"\n### Recipe API on {label}: self time by owner of the innermost frame\n")
            print("| owner | " + " | ".join(f"{w} ({samples[w]})" for w in owners) + " |")
            print("|---|" + "---:|" * len(owners))
            for name in next(iter(owners.values())):
                print(f"| {name} | " + " | ".join(f"{owners[w][name]:.0%}" for w in owners) + " |")
            print(f"\n### Recipe API on {label}: samples passing through each part (nested)\n")
            print("| where | " + " | ".join(f"{w} ({samples[w]})" for w in columns) + " |")
            print("|---|" + "---:|" * len(columns))
            for row, _test in ROWS:
                cells = " | ".join(f"{columns[w][row]:.0%}" for w in columns)
                print(f"| {row.replace('  ', '&nbsp;&nbsp;')} | {cells} |")


if __name__ == "__main__":
    main()
