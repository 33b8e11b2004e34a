"""Where the cores go under the PostgreSQL read: one worker against four, per process.

``python bench/cores.py --postgres URL [--workers 4] [--rounds 2] [--seconds 4]``
serves Recipe API on a scratch PostgreSQL database twice (one worker, and
``--workers``), and for each, in turn, runs the load generator in a process
of its own (32 clients on the recipe read) while reading from ``/proc`` the
CPU time of: the workers, the PostgreSQL backends serving that database
(``pg_stat_activity``), the load generator, and the whole machine (all cores,
``/proc/stat``), so what is left over is everything else running here. Each
is printed as cores used (CPU seconds per second of load), with the requests
served and the workers' CPU per request: issue 25 asks four workers for 1.6x
one on this 2-core machine, or to show where the second core goes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, free_port, server
from run import PATHS, _postgres_database, _prepare

TICK = os.sysconf("SC_CLK_TCK")
_LOAD = (
    "import asyncio, json, sys; sys.path.insert(0, {bench!r}); from loadgen import run_load; "
    "r = asyncio.run(run_load('127.0.0.1', {port}, {path!r}, concurrency=32, duration={seconds}, "
    "warmup=0.5)); print(json.dumps([r.count, r.errors]))"
)


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def _cpu(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICK


def _machine() -> tuple[float, float]:
    """Busy and total CPU seconds of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def _backends(url: str) -> list[int]:
    import psycopg

    from recipe_api.db.engine import normalize_url

    dsn = normalize_url(url).set(drivername="postgresql").render_as_string(False)
    name = normalize_url(url).database
    with psycopg.connect(dsn, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return [int(row[0]) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    bench = str(ROOT / "bench")
    rows: list[tuple[str, dict[str, float]]] = []
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(_postgres_database(args.postgres))
        _prepare(url)
        running = {}
        for workers in (1, args.workers):
            port = free_port()
            argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log"]
            argv += ["--no-migrate", "--workers", str(workers), "--port", str(port)]
            env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "METRICS_ENABLED": "true"}
            env["ANSWER_CACHE_MB"] = "0"
            process = stack.enter_context(server(argv, port, env, PATHS["read"]))
            running[workers] = (process.pid, port)
        for _ in range(args.rounds):
            for workers, (pid, port) in running.items():
                code = _LOAD.format(bench=bench, port=port, path=PATHS["read"], seconds=1.0)
                subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
                code = _LOAD.format(
                    bench=bench, port=port, path=PATHS["read"], seconds=args.seconds
                )
                load = subprocess.Popen(
                    [sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=ROOT
                )
                time.sleep(0.5)  # the generator's warm-up: measured from here
                served, backends = _tree(pid), _backends(url)
                before = (_cpu(served), _cpu(backends), _cpu([load.pid]), _machine())
                started = time.monotonic()
                time.sleep(args.seconds)
                after = (_cpu(served), _cpu(backends), _cpu([load.pid]), _machine())
                took = time.monotonic() - started
                out, _ = load.communicate()
                count, errors = json.loads(out)
                if errors:
                    raise SystemExit(f"{errors} errors with {workers} workers")
                busy = after[3][0] - before[3][0]
                cores = {
                    "req/s": count / args.seconds,
                    "workers": (after[0] - before[0]) / took,
                    "PostgreSQL": (after[1] - before[1]) / took,
                    "load generator": (after[2] - before[2]) / took,
                    "machine": busy / took,
                }
                cores["other"] = cores["machine"] - sum(
                    cores[k] for k in ("workers", "PostgreSQL", "load generator")
                )
                cores["µs per read"] = (after[0] - before[0]) / max(1, count) * 1e6
                rows.append((f"{workers} worker{'s' if workers > 1 else ''}", cores))
    print(f"\n## PostgreSQL read, 32 clients, {args.seconds:.0f} s per row: cores used (of 2)\n")
    keys = ["req/s", "workers", "PostgreSQL", "load generator", "other", "machine", "µs per read"]
    print("| | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name, cores in rows:
        cells = [
            f"{cores[k]:,.0f}" if k in ("req/s", "µs per read") else f"{cores[k]:.2f}" for k in keys
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
