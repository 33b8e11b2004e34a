"""Serving a 640 px photo: from the database (SQLite, PostgreSQL) against a file on disk.

Each server is one uvicorn worker. ``recipe-api serve`` answers
``/media/photos/...`` from ``photo_file``; beside it, a Starlette app answers the
same bytes from a file with ``FileResponse`` (what a photo folder would use).
The photo is a real upload through the API (a 12 MP JPEG re-encoded to WebP).

    .venv/bin/python bench/photo_serving.py --postgres postgresql://root@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import free_port, server
from loadgen import run_load

ADMIN = "admin@recipeapi.com"
PASSWORD = "bench password 123"


def disk_app():  # type: ignore[no-untyped-def]
    """The same file from a folder, with the same cache headers."""
    from starlette.applications import Starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    folder = Path(os.environ["PHOTO_DIR"])

    async def photo(request):  # type: ignore[no-untyped-def]
        path = folder / request.path_params["name"]
        return FileResponse(
            path,
            media_type="image/webp",
            headers={"cache-control": "public, max-age=31536000, immutable"},
        )

    return Starlette(routes=[Route("/media/photos/{name}", photo)])


def _photo() -> bytes:
    """The 12 MP photo of bench/photo_libraries.py (a real photo, upscaled, with noise)."""
    from photo_libraries import SOURCE, make_source

    make_source()
    return SOURCE.read_bytes()


def _upload(base: str) -> tuple[str, bytes]:
    token = httpx.post(
        f"{base}/api/v1/auth/login", data={"username": ADMIN, "password": PASSWORD}
    ).json()["access_token"]
    answer = httpx.put(
        f"{base}/api/v1/recipes/1/photo",
        files={"photo": ("p.jpg", _photo(), "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    answer.raise_for_status()
    url: str = answer.json()["sizes"][1]["url"]
    return url, httpx.get(base + url).content


def _measure(port: int, path: str, seconds: float) -> str:
    result = asyncio.run(run_load("127.0.0.1", port, path, concurrency=16, duration=seconds))
    assert set(result.statuses) == {200}, result.statuses
    p50, p99 = result.median * 1000, result.percentile(99) * 1000
    return f"{result.rps:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a server URL; a scratch database is made on it")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as work:
        urls = {"sqlite": f"sqlite:///{work}/photos.db"}
        scratch = None
        if args.postgres:
            scratch = f"photo_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{scratch}"')
            urls["postgresql"] = args.postgres.rsplit("/", 1)[0] + f"/{scratch}"
        try:
            path, data = "", b""
            for backend, url in urls.items():
                port = free_port()
                env = {
                    "DATABASE_URL": url,
                    "FIRST_SUPERUSER_PASSWORD": PASSWORD,
                    "LOG_LEVEL": "WARNING",
                    "SECRET_KEY_FILE": f"{work}/secret_key",
                }
                argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port)]
                argv += ["--no-access-log"]
                with server(argv, port, env, ready_path="/health/live"):
                    path, data = _upload(f"http://127.0.0.1:{port}")
                    rows.append((f"database, {backend}", _measure(port, path, args.seconds)))
            name = path.rsplit("/", 1)[1]
            Path(work, name).write_bytes(data)
            port = free_port()
            argv = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent)]
            argv += ["photo_serving:disk_app", "--factory", "--port", str(port)]
            argv += ["--log-level", "warning", "--no-access-log"]
            with server(argv, port, {"PHOTO_DIR": work}, ready_path=path):
                rows.append(("file on disk (FileResponse)", _measure(port, path, args.seconds)))
        finally:
            if scratch:
                with psycopg.connect(args.postgres, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    print(f"640 px photo, {len(data):,} bytes, 16 connections, {args.seconds:g} s each, one worker")
    for where, figures in rows:
        print(f"| {where} | {figures} |")


if __name__ == "__main__":
    main()
