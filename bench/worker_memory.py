"""One worker's resident memory at start and after load, side by side with another checkout.

``python bench/worker_memory.py [--baseline SRC] [--rounds 3] [--postgres URL]``
serves Recipe API (and, with ``--baseline``, another checkout's ``src/``) on
the same seeded database, one worker each, both started as
``recipe-api serve`` starts them (migrations and seed in the serving
process, as a one-worker install does); reads each worker's RSS
(``/proc/<pid>/smaps_rollup``) once it answers, then loads every path of
``bench/run.py`` in turn on each, ``--rounds`` times (32 clients,
``--seconds`` each), and reads it again. Issue 25's aim: under 100 MB after
load on SQLite, with ``ANSWER_CACHE_MB=0`` (what ``bench/run.py --cache-mb 0``
measures) or the default cache. After load it also sums the worker's processes
(its forkserver and search process, decision 0038): RSS, and PSS, which counts
a page shared by forked processes once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, serve_on_free_port, tree_memory_mb
from loadgen import run_load
from run import PATHS, bench_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--cache-mb", type=int, default=0, help="ANSWER_CACHE_MB")
    parser.add_argument("--baseline", type=Path, help="src/ of another checkout, served beside")
    parser.add_argument("--postgres", help="a PostgreSQL server URL: measure there, not SQLite")
    args = parser.parse_args()
    bench_dir = str(ROOT / "bench")
    cli = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log", "--port", "0"]
    with contextlib.ExitStack() as stack:
        url = bench_database(stack, args.postgres, "recipe-memory-")
        apps = [("now", bench_dir)]
        if args.baseline is not None:
            apps.append(("before", os.pathsep.join([str(args.baseline), bench_dir])))
        running = {}
        for name, pythonpath in apps:
            process, port = serve_on_free_port(stack, cli, url, pythonpath, args.cache_mb)
            running[name] = (process.pid, port, tree_memory_mb(process.pid))
        for _ in range(args.rounds):
            for name, _ in apps:
                _, port, _ = running[name]
                for path in PATHS.values():
                    asyncio.run(
                        run_load("127.0.0.1", port, path, concurrency=32, duration=args.seconds)
                    )
        where = "PostgreSQL" if args.postgres else "SQLite"
        print(f"\n## One worker's RSS, {where}, 1,000 rows, ANSWER_CACHE_MB={args.cache_mb}\n")
        print(
            "| app | worker RSS at start | after load | with its processes (forkserver,"
            " search process): RSS summed | PSS summed |"
        )
        print("|---|---:|---:|---:|---:|")
        for name, _ in apps:
            pid, _, (start, _, _) = running[name]
            alone, rss, pss = tree_memory_mb(pid)
            print(f"| {name} | {start:.1f} MB | {alone:.1f} MB | {rss:.1f} MB | {pss:.1f} MB |")


if __name__ == "__main__":
    main()
