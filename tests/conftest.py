"""Shared fixtures: a real database per backend, the app, and an HTTP client for it.

Every test that uses ``client`` runs on SQLite, and again on PostgreSQL when
``TEST_DATABASE_URL`` points at a server. The PostgreSQL runs use a database of
their own, created for the session and dropped after it; each test starts from
empty tables.

Building the app (``create_app``: some 190 routes) costs 0.3-0.7 s, more than most
tests. So tests whose settings are equal share one built app: each test runs its
own lifespan (a fresh engine, caches, throttles and state), and an app a test
changed (a route, a handler, an override) is built again for the next.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from recipe_api.db import migrate
from recipe_api.db.engine import Database, normalize_url
from recipe_api.main import create_app
from recipe_api.seed import seed
from recipe_api.settings import Settings


def _in_ci(value: str | None) -> bool:
    """CI=true (or 1, yes) means CI; unset, empty, false, 0 or no do not."""
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


IN_CI = _in_ci(os.environ.get("CI"))


def skip_or_fail(reason: str) -> None:
    """In CI a missing service is a failure; on a developer's machine, a skip."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run these tests)")
    pytest.skip(reason)


def _admin_dsn(url: str) -> str:
    return normalize_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        skip_or_fail("TEST_DATABASE_URL is not set, so the PostgreSQL runs are skipped")
    assert base is not None
    try:
        admin = psycopg.connect(_admin_dsn(base), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL at TEST_DATABASE_URL does not answer: {exc}")
        raise
    name = f"recipe_api_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = normalize_url(base).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(_admin_dsn(base), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "recipes.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def _emptiers() -> Iterator[dict[str, Database]]:
    """One engine per test database for emptying its tables between tests."""
    engines: dict[str, Database] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, _emptiers: dict[str, Database]) -> str:
    """The URL of a migrated, empty database, once per backend."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    if url not in _emptiers:
        _emptiers[url] = Database.from_url(url)
    try:
        _empty_tables(_emptiers[url])
    except OperationalError:
        # A test ended the server's connections (tests/db/test_faults.py): connect anew.
        _emptiers[url].dispose()
        _empty_tables(_emptiers[url])
    return url


def _empty_tables(db: Database) -> None:
    with db.engine.begin() as connection:
        if db.backend == "postgresql":
            connection.execute(
                text(
                    "TRUNCATE email_outbox, account_token, web_session, recipe, "
                    '"user" RESTART IDENTITY CASCADE'
                )
            )
        else:
            connection.execute(text("DELETE FROM email_outbox"))
            connection.execute(text("DELETE FROM account_token"))
            connection.execute(text("DELETE FROM web_session"))
            connection.execute(text("DELETE FROM recipe"))
            connection.execute(text('DELETE FROM "user"'))


@pytest.fixture(scope="session")
def _app_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the apps' files go: one path for every test, so that their settings are equal."""
    return tmp_path_factory.mktemp("app-files")


@pytest.fixture
def settings(database_url: str, _app_files: Path) -> Settings:
    # Emptied for each test: a test reads only the emails it caused.
    outbox = _app_files / "outbox"
    shutil.rmtree(outbox, ignore_errors=True)
    return Settings(
        _env_file=None,
        database_url=database_url,
        redis_url=None,
        secret_key="test-secret-key-" + "x" * 32,
        secret_key_file=_app_files / "secret_key",
        # Cheap hashes keep the suite fast; the production cost is the default.
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        ideas_cache_ttl=0,
        # Tests sign many accounts up from one address; the signup limit has tests of its own.
        signup_max_per_client=10_000,
        reddit_base_url="http://127.0.0.1:9",
        reddit_oauth_url="http://127.0.0.1:9",
        # No SMTP server: emails go to a folder of the test's own. No sender either,
        # so no background query interleaves with a test's own; tests of email turn it on.
        email_outbox_dir=outbox,
        outbox_sender=False,
        # Nor the import runner: tests run its jobs themselves (tests/recipes/test_imports.py).
        import_jobs_in_workers=False,
        # Nor the periodic prune (tests/db/test_prune.py turns it on).
        prune_in_workers=False,
        # Searches in the test's own process, where a test can patch and watch them: a
        # search process per app made the suite a fifth slower (decision 0038). Tests of
        # it, and of the same answers through it, turn it on (tests/db/test_search_process.py);
        # servers started as processes run it as shipped.
        search_process=False,
    )


@pytest.fixture(scope="session")
def _built_apps() -> dict[str, FastAPI]:
    """Apps built by ``app``, by their settings (as JSON), for the next test with those."""
    return {}


def app_shape(app: FastAPI) -> tuple[object, ...]:
    """What a test could change of an app beyond its lifespan's state."""
    return (
        [id(route) for route in app.router.routes],
        [id(middleware) for middleware in app.user_middleware],
        dict(app.exception_handlers),
        dict(app.dependency_overrides),
    )


@pytest.fixture
async def app(settings: Settings, _built_apps: dict[str, FastAPI]) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running: built, or one built for equal settings reused."""
    key = settings.model_dump_json()
    application = _built_apps.pop(key, None) or create_app(settings)
    shape = app_shape(application)
    async with application.router.lifespan_context(application):
        yield application
    if app_shape(application) == shape:
        _built_apps[key] = application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


def xdist_worker_index() -> int:
    """This process's place among pytest-xdist's workers (gw0 is 0); 0 without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") else 0


def worker_redis_url(base: str, index: int) -> str:
    """TEST_REDIS_URL's database for worker 0, the one below it for worker 1, and so on.

    Counting down keeps the default (db 15, the last of Redis's 16) valid for any
    number of workers up to 16, and each worker's keys in a database of its own.
    """
    parts = urlsplit(base)
    number = int(parts.path.strip("/") or 0) - index
    if number < 0:
        pytest.fail(
            f"TEST_REDIS_URL's database less the worker index {index} is below 0: "
            "give TEST_REDIS_URL a database at least the number of workers less one"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database for tests (TEST_REDIS_URL, default db 15 on the local server).

    Under pytest-xdist each worker has a database of its own (``worker_redis_url``).
    """
    import redis

    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    url = worker_redis_url(base, xdist_worker_index())
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"no Redis answers at {url}: {exc}")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def serving(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[LiveServer]:
    """``recipe-api serve ARGS`` on a free port until ready; stopped on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"recipe-api serve exited with {process.returncode}: {output[-3000:]}")
            try:
                if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("recipe-api serve did not become ready within 60 s")
            time.sleep(0.1)
        yield LiveServer(url=url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``recipe-api serve`` as a user starts it: migrates, seeds, serves on a free port."""
    workdir = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'live.db'}",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY_FILE": str(workdir / "secret_key"),
    }
    env.pop("REDIS_URL", None)
    with serving([], env, workdir) as server:
        yield server


@dataclass
class Account:
    id: int
    email: str
    password: str
    headers: dict[str, str]


MakeAccount = Callable[..., Awaitable[Account]]


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", data={"username": email, "password": password})


@pytest.fixture
def make_account(client: httpx.AsyncClient) -> MakeAccount:
    """Signs a user up through the API and logs them in."""

    async def make(email: str, password: str = "long enough password") -> Account:
        response = await client.post(
            "/api/v1/auth/signup", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        token = (await login(client, email, password)).json()["access_token"]
        return Account(
            id=response.json()["id"],
            email=email,
            password=password,
            headers={"Authorization": f"Bearer {token}"},
        )

    return make


SUPERUSER_EMAIL = "admin@recipeapi.com"
SUPERUSER_PASSWORD = "admin password for tests"


@pytest.fixture
async def superuser(app: FastAPI, client: httpx.AsyncClient) -> Account:
    """The seeded superuser (with the tutorial's recipes), logged in."""
    hashed = app.state.passwords.hash(SUPERUSER_PASSWORD)
    await app.state.db.run(seed, superuser_email=SUPERUSER_EMAIL, hashed_password=hashed)
    response = await login(client, SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    assert response.status_code == 200, response.text
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    return Account(
        id=me.json()["id"],
        email=SUPERUSER_EMAIL,
        password=SUPERUSER_PASSWORD,
        headers={"Authorization": f"Bearer {response.json()['access_token']}"},
    )
