"""Server CPU per request: what each request costs the worker, side by side, in one run.

``python bench/cpu_per_request.py [--paths read,search,home] [--baseline SRC] [--postgres URL]``
serves Recipe API (and, with ``--baseline``, another checkout's ``src/``), the
tutorial on its pins (SQLite) and, on PostgreSQL, the raw asyncpg app, all at
once; each round loads each (app, path) in turn for ``--seconds`` at 16
clients and reads the worker's own CPU time (``utime + stime`` from
``/proc``) before and after. CPU time divided by the requests served is what
a request costs, which the machine's other load disturbs much less than
throughput: on a shared machine a worker gets whatever share of a core the
scheduler leaves it, and a threaded server gets more of it than an
event-loop one (decision 0026). The median of the rounds is printed, with
each app's share of a core while loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, descendants, serve_on_free_port, uvicorn_argv
from loadgen import run_load
from run import PATHS, bench_database


def _loop_cpu_seconds(pid: int) -> float:
    """The CPU time of the worker's main thread alone: its event loop."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = children.read_text().split() if children.exists() else []
    # A supervisor's worker; not the worker's own helpers (its forkserver, which
    # forks the search process, and multiprocessing's resource tracker).
    workers = [
        int(child)
        for child in found
        if b"multiprocessing" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    worker = workers[0] if workers else pid
    fields = Path(f"/proc/{worker}/task/{worker}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """The CPU time of a process and all its descendants (the uvicorn worker, its search
    process: a child of the worker's forkserver)."""
    ticks = 0
    for one in descendants(pid):
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _own_database(pythonpath: str) -> str:
    """A new SQLite bench database prepared by the code on ``pythonpath`` (its migrations)."""
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='recipe-cpu-baseline-')) / 'bench.db'}"
    subprocess.run(
        [sys.executable, "-c", f"from run import _prepare; _prepare({url!r})"],
        env={**os.environ, "PYTHONPATH": pythonpath},
        cwd=ROOT,
        check=True,
    )
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", default="read,search,home")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cache-mb", type=int, default=0, help="ANSWER_CACHE_MB for Recipe API")
    parser.add_argument("--baseline", type=Path, help="src/ of another checkout, served beside")
    parser.add_argument("--postgres", help="a PostgreSQL server URL: measure there, not SQLite")
    parser.add_argument(
        "--baseline-database",
        action="store_true",
        help="SQLite: the baseline on a database of its own, migrated by its own code (when "
        "this tree adds a migration, the shared database would give the baseline its indexes)",
    )
    args = parser.parse_args()
    if args.baseline_database and (args.baseline is None or args.postgres):
        parser.error("--baseline-database needs --baseline, on SQLite")
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    bench_dir = str(ROOT / "bench")
    cli = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log", "--port", "0"]
    with contextlib.ExitStack() as stack:
        url = bench_database(stack, args.postgres, "recipe-cpu-")
        apps: list[tuple[str, list[str], str, list[str]]] = [("now", cli, bench_dir, paths)]
        urls = {}
        if args.baseline is not None:
            no_migrate = [*cli[:-2], "--no-migrate", "--port", "0"]
            source = os.pathsep.join([str(args.baseline), bench_dir])
            apps.append(("before", no_migrate, source, paths))
            if args.baseline_database:
                urls["before"] = _own_database(source)
        if args.postgres:
            apps.append(("raw asyncpg", uvicorn_argv("asyncpg_app:app", 0), bench_dir, ["read"]))
        else:
            from pinned_venv import APP_DIR, tutorial_python

            pinned = tutorial_python()
            if pinned is not None:
                argv = [str(pinned), *uvicorn_argv("app.main:app", 0)[1:]]
                tutorial_paths = [p for p in paths if p in ("read", "search", "home")]
                apps.append(("tutorial", argv, str(APP_DIR), tutorial_paths))
        running = {}
        for name, argv, pythonpath, _ in apps:
            app_url = urls.get(name, url)
            process, port = serve_on_free_port(stack, argv, app_url, pythonpath, args.cache_mb)
            running[name] = (process.pid, port)
        costs: dict[tuple[str, str], list[float]] = {}
        shares: dict[tuple[str, str], list[float]] = {}
        # Of it, the event loop's thread: what a read on the loop waits behind.
        loop_costs: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for name, _, _, wanted in apps:
                pid, port = running[name]
                for what in wanted:
                    asyncio.run(
                        run_load("127.0.0.1", port, PATHS[what], concurrency=16, duration=0.5)
                    )
                    before, loop_before = _cpu_seconds(pid), _loop_cpu_seconds(pid)
                    load = asyncio.run(
                        run_load(
                            "127.0.0.1", port, PATHS[what], concurrency=16, duration=args.seconds
                        )
                    )
                    used = _cpu_seconds(pid) - before
                    on_loop = _loop_cpu_seconds(pid) - loop_before
                    bad = sum(n for status, n in load.statuses.items() if status >= 300)
                    if bad + load.errors:
                        raise SystemExit(f"{name} {what}: {load.statuses}, {load.errors} errors")
                    costs.setdefault((name, what), []).append(used / max(1, load.count) * 1e6)
                    loop_costs.setdefault((name, what), []).append(
                        on_loop / max(1, load.count) * 1e6
                    )
                    shares.setdefault((name, what), []).append(used / args.seconds)
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n## CPU per request, {where}, 1,000 rows, ANSWER_CACHE_MB={args.cache_mb} for "
        f"Recipe API: median of {args.rounds} interleaved {args.seconds:.0f} s loads\n"
    )
    print(
        "| app | path | CPU per request | each round | of which the event loop's thread"
        " | share of a core | now is cheaper by |"
    )
    print("|---|---|---:|---|---:|---:|---:|")
    for (name, what), runs in costs.items():
        median = sorted(runs)[len(runs) // 2]
        now = sorted(costs[("now", what)])[len(runs) // 2] if ("now", what) in costs else None
        vs = "" if name == "now" or now is None else f"{median / now:.2f}x"
        share = sorted(shares[(name, what)])[len(runs) // 2]
        rounds = ", ".join(f"{run:,.0f}" for run in runs)
        on_loop = sorted(loop_costs[(name, what)])[len(runs) // 2]
        print(
            f"| {name} | {what} | {median:,.0f} µs | {rounds} | {on_loop:,.0f} µs"
            f" | {share:.2f} | {vs} |"
        )


if __name__ == "__main__":
    main()
