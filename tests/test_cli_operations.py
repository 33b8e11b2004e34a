"""The recipe-api command as an operator meets it: start-up errors, downgrades, accounts.

(tests/test_cli.py holds how `serve` reads its process options.)
"""

from __future__ import annotations

import os
import pty
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, text

from recipe_api.db.engine import Database, create_db_engine
from recipe_api.db.migrate import script_head
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import free_port, login
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)


def recipe_api(
    *args: str, database_url: str, stdin: str | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recipe_api.cli", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_PARALLELISM": "1",
            "LOG_LEVEL": "WARNING",
            **env,
        },
    )


@pytest.fixture
def blackhole_port() -> Iterator[int]:
    """A TCP listener that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody:s3cret@127.0.0.1:{closed}/none",
        "sqlite:////nonexistent-folder/recipes.db",
    ],
    ids=["postgresql-refused", "sqlite-missing-folder"],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "prune"], ["serve"]])
def test_unusable_database_is_one_paragraph_and_exit_1(
    url: str, command: list[str], tmp_path: Path
) -> None:
    url = url.format(closed=free_port())
    args = [*command, "--port", str(free_port())] if command == ["serve"] else command
    result = recipe_api(*args, database_url=url, SECRET_KEY_FILE=str(tmp_path / "key"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith("recipe-api: cannot use the database at ")
    assert "\n" not in message
    assert "DATABASE_URL" in message
    assert "s3cret" not in message


def test_database_that_never_answers_fails_start_up_in_bounded_time(
    blackhole_port: int, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = recipe_api(
        "db",
        "upgrade",
        database_url=f"postgresql://nobody@127.0.0.1:{blackhole_port}/none?sslmode=disable",
        DB_CONNECT_TIMEOUT="1",
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "timeout" in result.stderr
    # libpq waits two seconds at least (per attempt: sslmode=disable makes it one).
    assert elapsed < 10


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _downgrade_on_a_terminal(url: str, answer: bytes) -> subprocess.CompletedProcess[str]:
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer)
        return subprocess.run(
            [sys.executable, "-m", "recipe_api.cli", "db", "downgrade", "base"],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DATABASE_URL": url},
        )
    finally:
        os.close(controller)
        os.close(terminal)


async def _ready(url: str, tmp_path: Path) -> httpx.Response:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        secret_key="ready-test-key-" + "x" * 32,
        secret_key_file=tmp_path / "key",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get("/health/ready")


async def test_downgrade_asks_first_and_ready_means_migrated(
    empty_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    unmigrated = await _ready(empty_database, tmp_path)
    assert unmigrated.status_code == 503
    assert unmigrated.json()["checks"] == {"database": "not migrated"}
    assert "recipe-api db upgrade" in unmigrated.json()["detail"]

    assert recipe_api("db", "upgrade", database_url=empty_database).returncode == 0
    assert (await _ready(empty_database, tmp_path)).status_code == 200

    # Not on a terminal and no --yes: refused, nothing dropped.
    refused = recipe_api("db", "downgrade", "base", database_url=empty_database)
    assert refused.returncode == 1
    assert "without --yes" in refused.stderr
    assert {"user", "recipe"} <= _tables(empty_database)

    # On a terminal, anything but "yes" cancels.
    asked = _downgrade_on_a_terminal(empty_database, answer=b"no\n")
    assert asked.returncode == 1
    assert "Type 'yes'" in asked.stdout
    assert "cancelled" in asked.stderr
    assert {"user", "recipe"} <= _tables(empty_database)

    done = recipe_api("db", "downgrade", "base", "--yes", database_url=empty_database)
    assert done.returncode == 0, done.stderr
    assert not {"user", "recipe"} & _tables(empty_database)
    downgraded = await _ready(empty_database, tmp_path)
    assert downgraded.status_code == 503
    assert downgraded.json()["checks"] == {"database": "not migrated"}


def test_an_unknown_revision_is_one_line_not_a_traceback(database_url: str) -> None:
    result = recipe_api("db", "upgrade", "9999", database_url=database_url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "migration refused" in result.stderr


async def test_ready_names_a_revision_behind_head(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url)
    try:
        db.run_sync(lambda c: c.execute(text("UPDATE alembic_version SET version_num = '0000'")))
        behind = await _ready(database_url, tmp_path)
    finally:
        db.run_sync(
            lambda c: c.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": script_head()}
            )
        )
        db.dispose()
    assert behind.status_code == 503
    assert "at revision 0000" in behind.json()["detail"]
    assert (await _ready(database_url, tmp_path)).status_code == 200


async def test_users_create_superuser_and_set_password(
    database_url: str, app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = "chef@example.com"
    created = recipe_api(
        "users", "create-superuser", email, database_url=database_url, stdin="first password\n"
    )
    assert created.returncode == 0, created.stderr
    assert "created" in created.stdout
    token = (await login(client, email, "first password")).json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["is_superuser"] is True

    changed = recipe_api(
        "users", "set-password", email, database_url=database_url, stdin="second password\n"
    )
    assert changed.returncode == 0, changed.stderr
    assert (await login(client, email, "first password")).status_code == 401
    assert (await login(client, email, "second password")).status_code == 200

    # An existing user is promoted and keeps its password; nothing is read from stdin.
    signup = await client.post(
        "/api/v1/auth/signup", json={"email": "cook@example.com", "password": "cook password"}
    )
    assert signup.json()["is_superuser"] is False
    promoted = recipe_api(
        "users", "create-superuser", "cook@example.com", database_url=database_url
    )
    assert promoted.returncode == 0, promoted.stderr
    token = (await login(client, "cook@example.com", "cook password")).json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["is_superuser"] is True


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["set-password", "nobody@example.com"], "a fine password\n", "no user has the email"),
        (["create-superuser", "new@example.com"], "short\n", "password refused"),
        (["create-superuser", "not an email"], "a fine password\n", "is not an email address"),
    ],
)
def test_users_commands_refuse_clearly(
    database_url: str, args: list[str], stdin: str, message: str
) -> None:
    result = recipe_api("users", *args, database_url=database_url, stdin=stdin)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
