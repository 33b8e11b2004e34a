"""An export of 500 recipes imported end to end, on SQLite and PostgreSQL: time and memory.

Run: ``.venv/bin/python bench/import_export.py [--recipes 500] [--postgresql URL]``
(PostgreSQL: a server URL whose user may create databases; a database of its
own is made and dropped). The export is Mealie-shaped: ``recipes/<slug>/<slug>.json``
made from the real Mealie recipe in ``tests/recipes/exports/`` (each with its
own name and web address) and a 60 KB image per recipe, as Mealie's export
carries them.

In one process, as a worker runs it: the app with its import runner on, an
upload through the API, then the job followed to the end. Figures: the
upload's answer time (the export read), the time to the job's end, the event
loop's longest stall meanwhile (a 10 ms timer's lateness), the process's RSS
before and at its peak (sampled every 20 ms), and ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import httpx
import psutil
import psycopg

from recipe_api.db import migrate
from recipe_api.db.engine import normalize_url
from recipe_api.main import create_app
from recipe_api.settings import Settings

EXPORT = Path(__file__).resolve().parent.parent / "tests/recipes/exports"


def mealie_export(count: int) -> bytes:
    base = json.loads((EXPORT / "mealie-original-sacher-torte-2.json").read_text())
    buffer = io.BytesIO()
    image = os.urandom(60 * 1024)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n in range(count):
            slug = f"sacher-torte-{n}"
            recipe = {
                **base,
                "name": f"Sacher-Torte {n}",
                "slug": slug,
                "orgURL": f"https://www.example.org/recipes/{n}",
            }
            archive.writestr(f"recipes/{slug}/{slug}.json", json.dumps(recipe))
            archive.writestr(f"recipes/{slug}/images/original.webp", image)
    return buffer.getvalue()


async def run(database_url: str, export: bytes, workdir: Path) -> dict[str, float]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key="bench-secret-" + "x" * 32,
        secret_key_file=workdir / "secret_key",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        outbox_sender=False,
        prune_in_workers=False,
        import_job_poll_seconds=0.2,
    )
    process = psutil.Process()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=120
        ) as client:
            account = {
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                "password": "long enough password",
            }
            await client.post("/api/v1/auth/signup", json=account)
            token = (
                await client.post(
                    "/api/v1/auth/login",
                    data={"username": account["email"], "password": account["password"]},
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            before = process.memory_info().rss
            peak = before
            stall = 0.0
            stop = asyncio.Event()

            async def watch() -> None:
                nonlocal peak, stall
                while not stop.is_set():
                    started = time.perf_counter()
                    await asyncio.sleep(0.01)
                    stall = max(stall, time.perf_counter() - started - 0.01)
                    peak = max(peak, process.memory_info().rss)

            watcher = asyncio.create_task(watch())
            started = time.perf_counter()
            answer = await client.post(
                "/api/v1/recipes/imports/",
                files=[("files", ("mealie.zip", export, "application/zip"))],
                headers=headers,
            )
            assert answer.status_code == 202, answer.text
            accepted = time.perf_counter() - started
            upload_stall, stall = stall, 0.0
            job = answer.json()
            while job["status"] != "done":
                await asyncio.sleep(0.1)
                job = (
                    await client.get(f"/api/v1/recipes/imports/{job['id']}", headers=headers)
                ).json()
            finished = time.perf_counter() - started
            stop.set()
            await watcher
            assert job["imported"] == job["total"], job
    return {
        "recipes": job["imported"],
        "upload_answered_s": accepted,
        "all_imported_s": finished,
        "loop_stall_upload_ms": upload_stall * 1000,
        "loop_stall_job_ms": stall * 1000,
        "rss_before_mb": before / 2**20,
        "rss_peak_mb": peak / 2**20,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipes", type=int, default=500)
    parser.add_argument("--postgresql", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    export = mealie_export(args.recipes)
    print(f"export: {args.recipes} recipes, {len(export) / 2**20:.1f} MB zipped")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
        migrate.upgrade(sqlite_url)
        print("sqlite", json.dumps(asyncio.run(run(sqlite_url, export, workdir)), indent=1))
        if args.postgresql:
            admin = normalize_url(args.postgresql).set(drivername="postgresql")
            dsn = admin.render_as_string(hide_password=False)
            name = f"bench_import_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            url = (
                normalize_url(args.postgresql)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
            try:
                migrate.upgrade(url)
                print("postgresql", json.dumps(asyncio.run(run(url, export, workdir)), indent=1))
            finally:
                with psycopg.connect(dsn, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
