"""An export of 500 recipes imported end to end, on SQLite and PostgreSQL: time and memory.

Run: ``.venv/bin/python bench/import_export.py [--recipes 500] [--postgresql URL]``
(PostgreSQL: a server URL whose user may create databases; a database of its
own is made and dropped). The export is Mealie-shaped: ``recipes/<slug>/<slug>.json``
made from the real Mealie recipe in ``tests/recipes/exports/`` (each with its
own name and web address) and a photo per recipe as Mealie's export carries
it (``images/original.webp``: an 800 x 533 WebP of 37 KB, drawn with
Pillow: a gradient, a plate and noise, so the encoder sees texture).

In one process, as a worker runs it: the app with its import runner on, an
upload through the API, then the job followed to the end. Figures: the
upload's answer time (the export read), the time to the job's end, the event
loop's longest pause meanwhile (a probe sleeping 5 ms records its lateness),
the process's RSS before and at its peak (sampled every 20 ms), its
children's peak (the photo encoders' processes), and
``ru_maxrss``. ``--src DIR`` runs another checkout's ``src`` (the code before a
change, for its figures on the same export); ``--no-photos`` leaves the photos
out of the export.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
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

sys.path.insert(
    0,
    sys.argv[sys.argv.index("--src") + 1]
    if "--src" in sys.argv
    else str(Path(__file__).resolve().parent.parent / "src"),
)

import httpx
import psutil
import psycopg

from recipe_api.db import migrate
from recipe_api.db.engine import normalize_url
from recipe_api.main import create_app
from recipe_api.settings import Settings

EXPORT = Path(__file__).resolve().parent.parent / "tests/recipes/exports"


def photo(width: int = 800, height: int = 533) -> bytes:
    """A photo-like WebP: a gradient, a plate and sensor-like noise (37 KB)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=(200 - y * 100 // height, 120 + y * 60 // height, 60))
    draw.ellipse((width // 4, height // 5, 3 * width // 4, 4 * height // 5), fill=(235, 225, 200))
    noisy = Image.blend(image, Image.effect_noise((width, height), 30).convert("RGB"), 0.15)
    out = io.BytesIO()
    noisy.save(out, "WEBP", quality=80)
    return out.getvalue()


def mealie_export(count: int, *, photos: bool = True) -> bytes:
    base = json.loads((EXPORT / "mealie-original-sacher-torte-2.json").read_text())
    buffer = io.BytesIO()
    image = photo()
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
            if photos:
                archive.writestr(f"recipes/{slug}/images/original.webp", image)
    return buffer.getvalue()


def children_usage(process: psutil.Process) -> tuple[int, float]:
    """The summed peak RSS (VmHWM) and CPU seconds of the process's children (the encoders).

    Read once at the end: listing children scans every process of the machine,
    too slow to repeat beside the loop probe.
    """
    total, cpu = 0, 0.0
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error, OSError, ValueError):
            status = Path(f"/proc/{child.pid}/status").read_text()
            line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
            total += int(line.split()[1]) * 1024
            cpu += sum(child.cpu_times()[:2])
    return total, cpu


async def run(
    database_url: str, export: bytes, workdir: Path, *, photos_expected: bool
) -> dict[str, float]:
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
            cpu_before = sum(process.cpu_times()[:2])
            peak = before
            stall = 0.0
            stalls: list[float] = []
            stop = asyncio.Event()

            async def watch() -> None:
                nonlocal peak, stall
                sampled = time.perf_counter()
                while not stop.is_set():
                    started = time.perf_counter()
                    await asyncio.sleep(0.005)
                    late = time.perf_counter() - started - 0.005
                    stall = max(stall, late)
                    stalls.append(late)
                    if started - sampled >= 0.02:
                        sampled = started
                        peak = max(peak, process.memory_info().rss)

            collections: list[float] = []
            gc_started = [0.0]

            def timed_gc(phase: str, info: dict[str, int]) -> None:
                if phase == "start":
                    gc_started[0] = time.perf_counter()
                else:
                    collections.append(time.perf_counter() - gc_started[0])

            gc.callbacks.append(timed_gc)
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
            cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
            stop.set()
            await watcher
            gc.callbacks.remove(timed_gc)
            children, children_cpu = children_usage(process)
            assert job["imported"] == job["total"], job
            with_photos = 0
            if photos_expected:
                page = await client.get("/api/v1/recipes/my-recipes/?limit=100", headers=headers)
                for recipe in page.json()["results"]:
                    answer = await client.get(f"/api/v1/recipes/{recipe['id']}/photo")
                    with_photos += answer.json().get("url") is not None
    stalls.sort()
    return {
        "recipes": job["imported"],
        "photos_among_first_100": with_photos,
        "cpu_s_upload_to_done": cpu_seconds,
        "children_cpu_s": children_cpu,
        "loop_pause_p99_ms": stalls[int(len(stalls) * 0.99)] * 1000 if stalls else 0.0,
        "loop_pauses_over_50ms": sum(1 for late in stalls if late > 0.05),
        "gc_collections": len(collections),
        "gc_longest_ms": max(collections, default=0.0) * 1000,
        "upload_answered_s": accepted,
        "all_imported_s": finished,
        "loop_stall_upload_ms": upload_stall * 1000,
        "loop_stall_job_ms": stall * 1000,
        "rss_before_mb": before / 2**20,
        "rss_peak_mb": peak / 2**20,
        "children_peak_rss_mb": children / 2**20,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipes", type=int, default=500)
    parser.add_argument("--postgresql", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--src", help="run this checkout's src instead (see the docstring)")
    parser.add_argument("--no-photos", action="store_true")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    export = mealie_export(args.recipes, photos=not args.no_photos)
    expected = not args.no_photos and not args.src
    print(f"load average: {os.getloadavg()}")
    print(f"export: {args.recipes} recipes, {len(export) / 2**20:.1f} MB zipped")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
        if args.only != "postgresql":
            migrate.upgrade(sqlite_url)
            figures = asyncio.run(run(sqlite_url, export, workdir, photos_expected=expected))
            print("sqlite", json.dumps(figures, indent=1))
        if args.postgresql and args.only != "sqlite":
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
                figures = asyncio.run(run(url, export, workdir, photos_expected=expected))
                print("postgresql", json.dumps(figures, indent=1))
            finally:
                with psycopg.connect(dsn, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
