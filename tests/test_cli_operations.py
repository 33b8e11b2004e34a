"""The recipe-api command as an operator meets it: start-up errors, downgrades, accounts,
a taken port, ``make run PORT=N``, the outbox's exit codes.

(tests/test_cli.py holds how `serve` reads its process options.)
"""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, select, text, update

from recipe_api.db.engine import Database, create_db_engine
from recipe_api.db.migrate import script_head
from recipe_api.email import repository as outbox
from recipe_api.email.models import FAILED, PENDING, email_outbox_table
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


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
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
        _env_file=None,
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
    assert "is now a superuser" in promoted.stdout
    again = recipe_api("users", "create-superuser", "cook@example.com", database_url=database_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "cook@example.com was already a superuser: nothing changed."
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


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize("command", [["serve"], ["serve", "--workers", "2"], ["fake-reddit"]])
def test_a_taken_port_is_refused_before_anything_is_written(
    command: list[str], taken_port: int, tmp_path: Path
) -> None:
    database = tmp_path / "recipes.db"
    result = recipe_api(
        *command,
        "--port",
        str(taken_port),
        database_url=f"sqlite:///{database}",
        SECRET_KEY_FILE=str(tmp_path / "key"),
        LOG_LEVEL="INFO",
        timeout=30,
    )
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith(f"recipe-api: cannot listen on 127.0.0.1:{taken_port}: port ")
    assert "is taken by another process" in message
    assert "\n" not in message and "Traceback" not in message
    # Nothing migrated, seeded or generated first.
    assert result.stdout == ""
    assert not database.exists()
    assert not (tmp_path / "key").exists()


def _emailed_text(folder: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while not (written := sorted(folder.glob("*.eml"))):
        assert time.monotonic() < deadline, f"no email in {folder} after {timeout} s"
        time.sleep(0.1)
    message = email.message_from_bytes(written[0].read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


ROOT = Path(__file__).resolve().parents[1]


def test_make_run_port_serves_there_and_email_links_follow(tmp_path: Path) -> None:
    """As the README says it: ``make run PORT=N``, then a signup's email links to port N."""
    make = shutil.which("make")
    if make is None or subprocess.run([make, "-q", "-C", str(ROOT), "install"]).returncode:
        pytest.skip("needs make and an installed .venv (make install)")
    port = free_port()
    outbox = tmp_path / "outbox"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'recipes.db'}",
        "SECRET_KEY_FILE": str(tmp_path / "key"),
        "EMAIL_OUTBOX_DIR": str(outbox),
        "OUTBOX_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("PUBLIC_BASE_URL", "REDIS_URL", "SMTP_HOST", "PORT", "HOST"):
        env.pop(name, None)
    # In its own session, so the stop reaches recipe-api under make.
    process = subprocess.Popen(
        [make, "-s", "-C", str(ROOT), "run", f"PORT={port}"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "make run did not become ready within 60 s"
            time.sleep(0.2)
        signup = httpx.post(
            f"{url}/api/v1/auth/signup",
            json={"email": "cook@example.com", "password": "a long password"},
        )
        assert signup.status_code == 201, signup.text
        text = _emailed_text(outbox)
        assert f"{url}/" in text, text
        assert "127.0.0.1:8001" not in text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _failed_email(database_url: str) -> int:
    db = Database.from_url(database_url)
    try:
        email_id = db.run_sync(
            outbox.enqueue,
            kind="welcome",
            recipient="far@example.com",
            message=None,
            now=datetime.now(UTC),
        )
        db.run_sync(
            lambda c: c.execute(
                update(email_outbox_table)
                .where(email_outbox_table.c.id == email_id)
                .values(status=FAILED, attempts=8, last_error="550 no such mailbox")
            )
        )
        return email_id
    finally:
        db.dispose()


def _status(database_url: str, email_id: int) -> str:
    db = Database.from_url(database_url)
    try:
        return str(
            db.run_sync(
                lambda c: c.execute(
                    select(email_outbox_table.c.status).where(email_outbox_table.c.id == email_id)
                ).scalar_one()
            )
        )
    finally:
        db.dispose()


def test_outbox_retry_of_an_id_that_is_not_a_failed_email_exits_1(database_url: str) -> None:
    nothing = recipe_api("outbox", "retry", "999", database_url=database_url)
    assert nothing.returncode == 1
    assert "no failed email has the id 999; nothing was retried" in nothing.stderr
    assert "Traceback" not in nothing.stderr

    # One good id and one wrong one: all or nothing, and the wrong one is named.
    failed = _failed_email(database_url)
    mixed = recipe_api("outbox", "retry", str(failed), "999", database_url=database_url)
    assert mixed.returncode == 1
    assert "the id 999;" in mixed.stderr
    assert _status(database_url, failed) == FAILED

    done = recipe_api("outbox", "retry", str(failed), database_url=database_url)
    assert done.returncode == 0, done.stderr
    assert "1 failed email(s) due again" in done.stdout
    assert _status(database_url, failed) == PENDING

    # Now pending, not failed: a second retry of it is refused too.
    again = recipe_api("outbox", "retry", str(failed), database_url=database_url)
    assert again.returncode == 1
    assert f"the id {failed};" in again.stderr

    # --all with nothing failed has nothing to do, and says so.
    everything = recipe_api("outbox", "retry", "--all", database_url=database_url)
    assert everything.returncode == 0
    assert everything.stdout.strip() == "No failed emails to retry."

    neither = recipe_api("outbox", "retry", database_url=database_url)
    assert neither.returncode == 1
    assert "give the ids of failed emails, or --all" in neither.stderr
