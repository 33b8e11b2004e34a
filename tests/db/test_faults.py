"""A database in trouble answers 503 with Retry-After within a bounded time, never 500.

Against a real PostgreSQL: a statement stuck on a lock past the statement
timeout, a pool exhausted past its wait, a backend killed with
``pg_terminate_backend`` in the middle of a read (retried on a fresh
connection) and of a write (not retried), backends killed while requests run,
and a listener that accepts connections but never answers. SQLite's
counterpart of a stuck statement is a write waiting on another process's lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Connection, make_url, text

from recipe_api.db.engine import Database, DatabaseUnavailableError
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import MakeAccount, _admin_dsn

RECIPE = {"label": "Stuck stew", "url": "https://example.com/stew"}


@asynccontextmanager
async def serving_app(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "The database is unavailable; try again shortly"}
    assert response.headers["retry-after"] == "5"


@contextmanager
def locked_recipes(database_url: str) -> Iterator[psycopg.Connection[Any] | None]:
    """Another client holds the recipe table: PostgreSQL's lock, or SQLite's write lock."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        writer = sqlite3.connect(url.database or "", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            yield None
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    with psycopg.connect(_admin_dsn(database_url)) as other:
        other.execute("LOCK TABLE recipe IN ACCESS EXCLUSIVE MODE")
        yield other
        other.rollback()


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
async def test_statement_past_its_timeout_is_503(
    database_url: str, settings: Settings, make_account: MakeAccount
) -> None:
    cook = await make_account("cook@example.com")
    async with serving_app(settings, db_statement_timeout_ms=300) as http:
        with locked_recipes(database_url):
            started = time.monotonic()
            response = await http.post("/api/v1/recipes/", json=RECIPE, headers=cook.headers)
            waited = time.monotonic() - started
        _assert_unavailable(response)
        assert waited < 2.5
        # The database is fine again once the lock is gone.
        again = await http.post("/api/v1/recipes/", json=RECIPE, headers=cook.headers)
        assert again.status_code == 201


ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
BACKEND_FREE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def pg_settings(settings: Settings) -> Settings:
    return settings


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
@ON_POSTGRESQL
async def test_pool_exhausted_past_its_wait_is_503(
    pg_settings: Settings, postgresql_url: str
) -> None:
    def hold(connection: Connection) -> None:
        connection.execute(text("SELECT pg_sleep(1.5)"))

    async with serving_app(pg_settings, db_pool_size=1, db_pool_timeout=0.3) as http:
        db: Database = http.app.state.db  # type: ignore[attr-defined]
        # pool_size 1 plus as many overflow: two connections, both busy.
        holders = [asyncio.create_task(db.run(hold)) for _ in range(2)]
        await asyncio.sleep(0.3)
        started = time.monotonic()
        response = await http.get("/api/v1/recipes/1")
        waited = time.monotonic() - started
        await asyncio.gather(*holders)
        _assert_unavailable(response)
        assert 0.25 < waited < 1.2
        assert (await http.get("/api/v1/recipes/1")).status_code == 404


async def _backend_waiting_on_lock(admin: psycopg.AsyncConnection[Any], name: str) -> int:
    for _ in range(200):
        row = await (
            await admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                (name,),
            )
        ).fetchone()
        if row:
            return int(row[0])
        await asyncio.sleep(0.02)
    raise AssertionError("no request ever waited on the lock")


async def _kill_mid_statement(
    postgresql_url: str, request: Callable[[], Any]
) -> tuple[httpx.Response, int]:
    """Start ``request``, kill its backend while it waits on a lock, then free the lock."""
    name = make_url(postgresql_url).database or ""
    async with await psycopg.AsyncConnection.connect(
        _admin_dsn(postgresql_url), autocommit=True
    ) as admin:
        with locked_recipes(postgresql_url):
            task = asyncio.create_task(request())
            pid = await _backend_waiting_on_lock(admin, name)
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            await asyncio.sleep(0.2)
        response: httpx.Response = await asyncio.wait_for(task, 10)
    return response, pid


@ON_POSTGRESQL
async def test_read_on_a_killed_connection_is_retried_on_a_fresh_one(
    pg_settings: Settings, postgresql_url: str, make_account: MakeAccount
) -> None:
    async with serving_app(pg_settings) as http:
        cook = await make_account("cook@example.com")
        created = await http.post("/api/v1/recipes/", json=RECIPE, headers=cook.headers)
        recipe_id = created.json()["id"]
        response, _ = await _kill_mid_statement(
            postgresql_url, lambda: http.get(f"/api/v1/recipes/{recipe_id}")
        )
        assert response.status_code == 200, response.text
        assert response.json()["label"] == "Stuck stew"


@ON_POSTGRESQL
async def test_write_on_a_killed_connection_is_503_and_not_retried(
    pg_settings: Settings, postgresql_url: str, make_account: MakeAccount
) -> None:
    async with serving_app(pg_settings) as http:
        cook = await make_account("cook@example.com")
        response, _ = await _kill_mid_statement(
            postgresql_url,
            lambda: http.post("/api/v1/recipes/", json=RECIPE, headers=cook.headers),
        )
        _assert_unavailable(response)
        listed = await http.get("/api/v1/recipes/")
        assert listed.json()["total"] == 0


async def test_a_read_runs_again_once_and_a_write_never(postgresql_url: str) -> None:
    """The retry is the caller's statement: ``read`` runs twice at most, ``run`` once."""
    db = Database(postgresql_url)
    calls: list[int] = []

    def killed_each_time(connection: Connection) -> None:
        calls.append(1)
        connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    try:
        with pytest.raises(DatabaseUnavailableError):
            await db.run(killed_each_time)
        assert len(calls) == 1
        with pytest.raises(DatabaseUnavailableError):
            await db.read(killed_each_time)
        assert len(calls) == 3
        assert await db.run(lambda c: c.execute(text("SELECT 1")).scalar()) == 1
    finally:
        await db.aclose()


@ON_POSTGRESQL
async def test_backends_killed_under_load_never_answer_500(
    pg_settings: Settings, postgresql_url: str, make_account: MakeAccount
) -> None:
    name = make_url(postgresql_url).database or ""
    async with serving_app(pg_settings, db_pool_size=4) as http:
        cook = await make_account("cook@example.com")
        created = await http.post("/api/v1/recipes/", json=RECIPE, headers=cook.headers)
        path = f"/api/v1/recipes/{created.json()['id']}"
        statuses: list[int] = []
        stop = time.monotonic() + 1.5

        async def reader() -> None:
            while time.monotonic() < stop:
                statuses.append((await http.get(path)).status_code)

        async def killer() -> int:
            killed = 0
            async with await psycopg.AsyncConnection.connect(
                _admin_dsn(postgresql_url), autocommit=True
            ) as admin:
                while time.monotonic() < stop:
                    cursor = await admin.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (name,),
                    )
                    row = await cursor.fetchone()
                    killed += int(row[0]) if row else 0
                    await asyncio.sleep(0.05)
            return killed

        killing = asyncio.ensure_future(killer())
        await asyncio.gather(*(reader() for _ in range(8)))
        killed = await killing
    print(f"killed {killed} backends; {statuses.count(200)} x 200, {statuses.count(503)} x 503")
    assert killed > 0
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses.count(200) > len(statuses) / 2


@asynccontextmanager
async def blackhole() -> AsyncIterator[int]:
    """A TCP listener that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
@BACKEND_FREE
async def test_database_that_never_answers_is_503_in_bounded_time(
    settings: Settings,
) -> None:
    async with (
        blackhole() as port,
        serving_app(
            settings,
            database_url=f"postgresql://nobody@127.0.0.1:{port}/none",
            db_connect_timeout=0.5,
            db_pool_timeout=0.5,
            db_pool_size=2,
        ) as http,
    ):
        started = time.monotonic()
        one = await http.get("/api/v1/recipes/1")
        single = time.monotonic() - started
        _assert_unavailable(one)
        assert single < 1.5

        # More requests than connections: the rest wait for the pool, then give up.
        started = time.monotonic()
        many = await asyncio.gather(*(http.get("/api/v1/recipes/1") for _ in range(20)))
        burst = time.monotonic() - started
        for response in many:
            _assert_unavailable(response)
        assert burst < 2.5
        ready = await http.get("/health/ready")
        assert ready.status_code == 503


def test_sqlite_busy_timeout_follows_the_statement_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}", statement_timeout_ms=300)
    try:
        assert db.run_sync(lambda c: c.execute(text("PRAGMA busy_timeout")).scalar()) == 300
    finally:
        db.dispose()
    capped = Database(f"sqlite:///{tmp_path / 'y.db'}", statement_timeout_ms=60_000)
    try:
        assert capped.run_sync(lambda c: c.execute(text("PRAGMA busy_timeout")).scalar()) == 2000
    finally:
        capped.dispose()


async def _kill_every_backend(postgresql_url: str) -> int:
    name = make_url(postgresql_url).database or ""
    async with await psycopg.AsyncConnection.connect(
        _admin_dsn(postgresql_url), autocommit=True
    ) as admin:
        cursor = await admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        row = await cursor.fetchone()
    await asyncio.sleep(0.2)
    return int(row[0]) if row else 0


@ON_POSTGRESQL
async def test_pooled_connections_killed_while_idle_cost_reads_nothing(
    pg_settings: Settings, postgresql_url: str, make_account: MakeAccount
) -> None:
    """No pre-ping: the first read on a dead pooled connection fails and runs again."""
    async with serving_app(pg_settings) as http:
        cook = await make_account("cook@example.com")
        created = await http.post("/api/v1/recipes/", json=RECIPE, headers=cook.headers)
        path = f"/api/v1/recipes/{created.json()['id']}"
        reads = [http.get(path) for _ in range(6)]
        assert {r.status_code for r in await asyncio.gather(*reads)} == {200}

        assert await _kill_every_backend(postgresql_url) >= 1
        answers = [await http.get(path) for _ in range(3)]
        answers += [await http.get("/api/v1/recipes/search/?keyword=stuck")]
        assert [r.status_code for r in answers] == [200, 200, 200, 200]
        assert answers[0].json()["label"] == "Stuck stew"

        # The dead connection made the pool recycle every connection opened before it,
        # so a write after the reads finds a live one.
        assert await _kill_every_backend(postgresql_url) >= 1
        assert (await http.get(path)).status_code == 200
        written = await http.patch(path, json={"label": "Unstuck stew"}, headers=cook.headers)
        assert written.status_code == 200, written.text
