"""The search's query shapes timed in-process, statement by statement: median and p99 of N.

``python bench/search_shapes.py URL [--runs 20]``, on a database built by
``bench/scale.py``. Each shape of ``scale.SEARCHES`` (and the deep page, and the
website's search with its facets) runs ``--runs`` times on one connection, as
``run_bounded`` runs it (no JIT, no parallel workers); the table gives the
whole search and its slowest statement. Less noisy than ``scale.py`` on a shared
machine (no HTTP, no other clients), so before/after can be told apart.

The CPU columns are the work itself, which other load on the machine barely
moves: this thread's CPU time (``CLOCK_THREAD_CPUTIME_ID``) plus, on
PostgreSQL, the server process's (``/proc/<pid>/schedstat``, nanoseconds on a
CPU), per search. On a busy machine the wall-clock p99 mostly measures the
scheduler; the CPU p99 is what the search would take on a quiet one with its
pages in memory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import SEARCHES

from recipe_api.db.engine import Database
from recipe_api.recipes.search import service
from recipe_api.recipes.search.query import SearchCursor, SearchQuery


def _query(raw: str) -> SearchQuery:
    fields = {k: v[0] for k, v in parse_qs(raw).items()}
    minutes = fields.get("max_total_minutes")
    return SearchQuery.checked(
        keyword=fields.get("keyword"),
        tag=fields.get("tag"),
        max_total_minutes=None if minutes is None else int(minutes),
    )


def _p99(times: list[float]) -> float:
    """The 99th percentile, nearest rank (the maximum below 100 runs)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, -(-99 * len(ordered) // 100) - 1)]


def _server_cpu(pid: int | None) -> float:
    """Seconds on a CPU of the PostgreSQL backend ``pid`` (0 without one: SQLite)."""
    if pid is None:
        return 0.0
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--only", help="only the shapes whose name contains this")
    args = parser.parse_args()
    shapes: dict[str, tuple[Any, SearchQuery, SearchCursor | None]] = {
        name: (service._search_json, _query(raw), None) for name, raw in SEARCHES.items()
    }
    deep = SearchCursor(tier=3, after=args.size // 2, mode="all")
    shapes["search deep page"] = (service._search_json, _query("keyword=chicken"), deep)
    for name, raw in (
        ("web common + facets", "keyword=chicken"),
        ("web three words + facets", "keyword=chicken garlic rice"),
        ("web tag + facets", "tag=vegan"),
        ("web common, quick + facets", "keyword=minced&max_total_minutes=10"),
    ):
        shapes[name] = (service._search_page_json, _query(raw), None)
    db = Database.from_url(args.url)
    statements: list[tuple[float, str]] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _start(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def _end(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append((time.perf_counter() - conn.info["started"], statement))

    print("| shape | p50 ms | p99 ms | slowest statement p50 ms | CPU p50 ms | CPU p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    with db.engine.connect() as connection:
        backend: int | None = None
        if connection.dialect.name != "sqlite":
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            if not Path(f"/proc/{backend}/schedstat").exists():
                backend = None  # a server on another machine: this thread's CPU only
            connection.execute(
                text(
                    "SELECT set_config('jit', 'off', false),"
                    " set_config('max_parallel_workers_per_gather', '0', false)"
                )
            )
        for name, (fn, query, cursor) in shapes.items():
            if args.only and args.only not in name:
                continue
            times, slowest, cpu = [], [], []
            for _ in range(args.runs):
                statements.clear()
                cpu_started = time.thread_time() + _server_cpu(backend)
                started = time.perf_counter()
                fn(connection, query, 20, cursor)
                times.append(time.perf_counter() - started)
                cpu.append(time.thread_time() + _server_cpu(backend) - cpu_started)
                # SQLite's search runs on the sqlite3 connection itself: no statement events.
                slowest.append(max(statements)[0] if statements else float("nan"))
                connection.rollback()
            print(
                f"| {name} | {statistics.median(times) * 1000:.1f} | {_p99(times) * 1000:.1f}"
                f" | {statistics.median(slowest) * 1000:.1f}"
                f" | {statistics.median(cpu) * 1000:.1f} | {_p99(cpu) * 1000:.1f} |",
                flush=True,
            )
    db.dispose()


if __name__ == "__main__":
    main()
