"""``recipe-api backup``/``restore`` against the native tools, at 100k and 1M recipes.

For each size: the SQLite database (built once with ``recipe-api db seed --demo N``
under ``--cache``, as ``bench/scale.py`` does) is backed up with our command and
restored into a fresh PostgreSQL database (the move to production); that one is
backed up again and restored into a fresh SQLite file. Beside them, the native
tools: ``VACUUM INTO`` and the sqlite3 backup API (``.backup``) on the SQLite file,
``pg_dump -Fc`` and ``pg_restore`` on the PostgreSQL copy. Each run is timed once
(wall clock, the machine as it is) with the archive's size and the command's peak
memory.

    .venv/bin/python bench/backup.py --sizes 100000,1000000 \
        --postgres postgresql://root@127.0.0.1:5432/test [--skip sqlite-restore@1000000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "FIRST_SUPERUSER_PASSWORD": "bench password 123",
        "LOG_LEVEL": "WARNING",
    }


def _timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds and peak MB (resident, from GNU time) of one child process."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - started
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def _cli(url: str, *args: str) -> tuple[float, float]:
    return _timed([sys.executable, "-m", "recipe_api.cli", *args], _env(url))


def _sqlite(cache: Path, size: int) -> Path:
    path = cache / f"recipes_{size}.db"
    if not path.exists():
        print(f"building {path} ({size:,} recipes)...", flush=True)
        _cli(f"sqlite:///{path}", "db", "upgrade")
        _cli(f"sqlite:///{path}", "db", "seed", "--demo", str(size))
    return path


def _fresh_postgres(base: str, name: str) -> str:
    import psycopg

    from recipe_api.db.engine import normalize_url

    admin = normalize_url(base).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return normalize_url(base).set(drivername="postgresql", database=name).render_as_string(False)


def _drop_postgres(base: str, name: str) -> None:
    import psycopg

    from recipe_api.db.engine import normalize_url

    admin = normalize_url(base).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6


def _row(what: str, size: int, seconds: float, mb: float | None, peak: float | None) -> None:
    shown_mb = "" if mb is None else f"{mb:,.0f}"
    shown_peak = "" if peak is None else f"{peak:,.0f}"
    print(f"| {what} | {size:,} | {seconds:,.1f} | {shown_mb} | {shown_peak} |", flush=True)


def measure(size: int, cache: Path, postgres: str, skip: set[str]) -> None:
    work = cache / f"work_{size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = _sqlite(cache, size)
    _row("SQLite file (for reference)", size, 0, _mb(source), None)

    archive = work / "from_sqlite.zip"
    seconds, peak = _cli(f"sqlite:///{source}", "backup", str(archive))
    _row("recipe-api backup, SQLite", size, seconds, _mb(archive), peak)

    started = time.perf_counter()
    src = sqlite3.connect(source)
    src.execute(f"VACUUM INTO '{work / 'vacuum.db'}'")
    src.close()
    _row("VACUUM INTO", size, time.perf_counter() - started, _mb(work / "vacuum.db"), None)
    seconds, peak = _timed(["sqlite3", str(source), f".backup '{work / 'dot_backup.db'}'"])
    _row("sqlite3 .backup", size, seconds, _mb(work / "dot_backup.db"), None)
    seconds, peak = _timed(["gzip", "-1", "-k", str(work / "vacuum.db")])
    _row("gzip -1 of the VACUUM INTO copy", size, seconds, _mb(work / "vacuum.db.gz"), None)
    for leftover in ("vacuum.db", "vacuum.db.gz", "dot_backup.db"):
        (work / leftover).unlink(missing_ok=True)

    name = f"recipe_api_backup_bench_{size}"
    url = _fresh_postgres(postgres, name)
    try:
        seconds, peak = _cli(url, "restore", str(archive))
        _row("recipe-api restore, into PostgreSQL", size, seconds, None, peak)
        pg_archive = work / "from_postgres.zip"
        seconds, peak = _cli(url, "backup", str(pg_archive))
        _row("recipe-api backup, PostgreSQL", size, seconds, _mb(pg_archive), peak)

        dump = work / "pg_dump.custom"
        seconds, peak = _timed(["pg_dump", "-Fc", "-f", str(dump), url])
        _row("pg_dump -Fc", size, seconds, _mb(dump), peak)
        restored = f"{name}_native"
        target = _fresh_postgres(postgres, restored)
        try:
            seconds, peak = _timed(["pg_restore", "--no-owner", "-d", target, str(dump)])
            _row("pg_restore", size, seconds, None, peak)
        finally:
            _drop_postgres(postgres, restored)
        dump.unlink()
    finally:
        _drop_postgres(postgres, name)

    if f"sqlite-restore@{size}" not in skip:
        target_file = work / "restored.db"
        seconds, peak = _cli(f"sqlite:///{target_file}", "restore", str(pg_archive))
        _row("recipe-api restore, into SQLite", size, seconds, _mb(target_file), peak)
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"))
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "recipe-api" / "bench-backup"
    )
    parser.add_argument("--skip", action="append", default=[], help="e.g. sqlite-restore@1000000")
    args = parser.parse_args()
    if not args.postgres:
        parser.error("needs --postgres URL (or BENCH_POSTGRES_URL)")
    args.cache.mkdir(parents=True, exist_ok=True)
    print("| what | recipes | seconds | MB | peak MB |")
    print("|---|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size, args.cache, args.postgres, set(args.skip))


if __name__ == "__main__":
    main()
