"""What a worker does not carry: the migrations' modules and aiohttp (decision 0031).

With one worker, ``recipe-api serve``'s own process serves, so what it
imported to migrate (Alembic, every migration: about 9 MB) would stay for the
worker's life; the migrations and the seed run in a forked child instead.
aiohttp (about 9 MB) is imported on the first call to reddit or the first
import fetch, not at start. Each is checked in a fresh interpreter (this one
has imported both long ago).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import free_port

_HEAVY = ("alembic", "aiohttp", "yarl")

_SERVE = textwrap.dedent(
    """
    import json, sys

    import uvicorn

    from recipe_api import cli

    def served(*args, **kwargs):
        print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))

    uvicorn.run = served
    cli.main(["serve", "--port", sys.argv[1]])
    """
).format(heavy=_HEAVY)

_APP = textwrap.dedent(
    """
    import asyncio, json, sys

    import httpx

    from recipe_api.main import create_app

    async def main() -> dict:
        app = create_app()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                statuses = [
                    (await client.get(path)).status_code
                    for path in ("/", "/api/v1/recipes/1", "/api/v1/recipes/search/?keyword=soup")
                ]
        loaded = sorted(m for m in {heavy!r} if m in sys.modules)
        return {{"statuses": statuses, "loaded": loaded}}

    print(json.dumps(asyncio.run(main())))
    """
).format(heavy=_HEAVY)


def _run(script: str, tmp_path: Path, *args: str) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'recipes.db'}",
        "SECRET_KEY_FILE": str(tmp_path / "key"),
        "LOG_LEVEL": "WARNING",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_serve_migrates_in_a_child_and_serves_without_alembic(tmp_path: Path) -> None:
    loaded = json.loads(_run(_SERVE, tmp_path, str(free_port())))

    assert loaded == []
    # The child did migrate and seed the database the worker then serves.
    with sqlite3.connect(tmp_path / "recipes.db") as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        (recipes,) = connection.execute("SELECT count(*) FROM recipe").fetchone()
    assert version
    assert recipes > 0


def test_a_worker_serves_its_pages_without_aiohttp(tmp_path: Path) -> None:
    _run(_SERVE, tmp_path, str(free_port()))  # migrated and seeded

    seen = json.loads(_run(_APP, tmp_path))

    assert seen["statuses"] == [200, 200, 200]
    assert seen["loaded"] == []
