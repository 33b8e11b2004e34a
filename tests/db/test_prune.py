"""Housekeeping on both backends: what the prune deletes and keeps, in bounded batches, at once
in several workers, from the command line, periodically in each worker, and through an outage.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Connection, event, insert, make_url, select
from sqlalchemy.engine import Engine

from recipe_api.auth import session_repository, token_repository
from recipe_api.auth.models import (
    RESET_PASSWORD,
    VERIFY_EMAIL,
    account_token_table,
    web_session_table,
)
from recipe_api.db.engine import Database
from recipe_api.db.prune import PruneOptions, Pruner, PruneReport, prune
from recipe_api.email import repository as outbox
from recipe_api.email.messages import Message
from recipe_api.email.models import DROPPED, FAILED, PENDING, SENT, email_outbox_table
from recipe_api.main import create_app
from recipe_api.settings import Settings
from recipe_api.tasks import prune_tasks
from recipe_api.users.repository import add_user
from tests.conftest import _admin_dsn, free_port
from tests.email.smtp import eventually
from tests.test_cli_operations import recipe_api

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
WEEK = PruneOptions(pause_seconds=0)
TASKS = prune_tasks(sent_email_days=7)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    yield database
    await database.aclose()


def _user(db: Database, email: str = "cook@example.com") -> int:
    return int(db.run_sync(add_user, email=email)["id"])


def _sessions(db: Database, user_id: int, expiries: dict[str, datetime]) -> None:
    def add(connection: Connection) -> None:
        for session_id, expires_at in expiries.items():
            session_repository.add_session(
                connection, session_id=session_id, user_id=user_id, expires_at=expires_at
            )

    db.run_sync(add)


def _email(
    db: Database, *, created: datetime, outcome: str, finished: datetime | None = None
) -> int:
    """An outbox row taken through the sender's own steps, each at the time given."""

    def write(connection: Connection) -> int:
        email_id = outbox.enqueue(
            connection,
            kind="welcome",
            recipient="cook@example.com",
            message=Message("Welcome", "text", "<p>html</p>"),
            now=created,
        )
        if outcome == PENDING:
            return email_id
        claim = secrets.token_hex(16)
        (row,) = outbox.claim_due(connection, claim=claim, now=created, lease=LEASE, limit=1)
        assert row["id"] == email_id
        at = finished or created + timedelta(seconds=1)
        if outcome == SENT:
            assert outbox.mark_sent(connection, email_id, claim, at)
        elif outcome == DROPPED:
            assert outbox.mark_dropped(connection, email_id, claim)
        else:
            assert outbox.mark_attempt_failed(
                connection, email_id, claim, error="refused", retry_at=None
            )
        return email_id

    return db.run_sync(write)


def _ids(db: Database, table: Any) -> set[Any]:
    def read(connection: Connection) -> set[Any]:
        return set(connection.execute(select(table.c.id)).scalars())

    return db.run_sync(read)


def _statuses(db: Database) -> dict[int, str]:
    def read(connection: Connection) -> dict[int, str]:
        statement = select(email_outbox_table.c.id, email_outbox_table.c.status)
        return {int(i): str(s) for i, s in connection.execute(statement)}

    return db.run_sync(read)


async def test_prune_deletes_exactly_the_rows_past_their_time(db: Database) -> None:
    user_id = _user(db)
    _sessions(
        db,
        user_id,
        {"expired": NOW - timedelta(days=1), "at-now": NOW, "live": NOW + timedelta(seconds=1)},
    )

    def tokens(connection: Connection) -> None:
        for token_id, purpose, expires_at in [
            ("verify-expired", VERIFY_EMAIL, NOW - timedelta(hours=1)),
            ("reset-expired", RESET_PASSWORD, NOW - timedelta(seconds=1)),
            ("verify-live", VERIFY_EMAIL, NOW + timedelta(hours=47)),
            ("reset-live", RESET_PASSWORD, NOW + timedelta(minutes=29)),
        ]:
            token_repository.add_token(
                connection,
                token_id=token_id,
                user_id=user_id,
                purpose=purpose,
                expires_at=expires_at,
            )

    db.run_sync(tokens)
    days = timedelta(days=1)
    sent_long_ago = _email(db, created=NOW - 8 * days, outcome=SENT)
    sent_lately = _email(db, created=NOW - 6 * days, outcome=SENT)
    # Claimed 8 days ago, sent after its lease ran out, 6 days ago: sent_at decides.
    sent_late = _email(db, created=NOW - 8 * days, outcome=SENT, finished=NOW - 6 * days)
    dropped_long_ago = _email(db, created=NOW - 8 * days, outcome=DROPPED)
    dropped_lately = _email(db, created=NOW - 1 * days, outcome=DROPPED)
    failed_long_ago = _email(db, created=NOW - 30 * days, outcome=FAILED)
    pending_long_due = _email(db, created=NOW - 30 * days, outcome=PENDING)

    report = await prune(db, TASKS, WEEK, now=NOW)

    assert report == PruneReport(
        expired_sessions=2, expired_tokens=2, sent_emails=1, dropped_emails=1, import_jobs=0
    )
    assert _ids(db, web_session_table) == {"live"}
    assert _ids(db, account_token_table) == {"verify-live", "reset-live"}
    assert _statuses(db) == {
        sent_lately: SENT,
        sent_late: SENT,
        dropped_lately: DROPPED,
        failed_long_ago: FAILED,
        pending_long_due: PENDING,
    }
    assert {sent_long_ago, dropped_long_ago}.isdisjoint(_statuses(db))
    # Idempotent: nothing left to do.
    assert (await prune(db, TASKS, WEEK, now=NOW)).total == 0
    # A week later, the late one's week is up too; failed and pending rows still stay.
    later = await prune(db, TASKS, WEEK, now=NOW + 7 * days)
    assert (later.sent_emails, later.dropped_emails) == (2, 1)
    assert _statuses(db) == {failed_long_ago: FAILED, pending_long_due: PENDING}


@contextmanager
def deletes_counted(db: Database) -> Iterator[list[int]]:
    """The rows each DELETE statement the prune sends removed, in order."""
    engine: Engine = db.async_engine.sync_engine if db.async_engine is not None else db.engine
    counts: list[int] = []

    def after(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            counts.append(cursor.rowcount)

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield counts
    finally:
        event.remove(engine, "after_cursor_execute", after)


async def test_more_rows_than_a_batch_go_in_bounded_statements(db: Database) -> None:
    user_id = _user(db)
    expired = {f"old-{i}": NOW - timedelta(minutes=i + 1) for i in range(23)}
    _sessions(db, user_id, {**expired, "live": NOW + timedelta(days=1)})
    for i in range(12):
        _email(db, created=NOW - timedelta(days=10, minutes=i), outcome=SENT)

    with deletes_counted(db) as counts:
        report = await prune(db, TASKS, PruneOptions(batch=5, pause_seconds=0), now=NOW)

    assert (report.expired_sessions, report.sent_emails) == (23, 12)
    # Every statement deleted at most a batch; full batches until the short one.
    assert counts == [5, 5, 5, 5, 3, 5, 5, 2]
    assert _ids(db, web_session_table) == {"live"}
    assert _statuses(db) == {}


async def test_workers_pruning_at_once_delete_each_row_once(database_url: str) -> None:
    setup = Database.from_url(database_url)
    try:
        user_id = _user(setup)
        _sessions(setup, user_id, {f"old-{i}": NOW - timedelta(seconds=i) for i in range(600)})
        _sessions(setup, user_id, {"live": NOW + timedelta(days=1)})
    finally:
        setup.dispose()

    def worker() -> PruneReport:
        # A loop and a database of its own, in a thread: as another process would.
        async def run() -> PruneReport:
            db = Database.from_url(database_url)
            try:
                return await prune(db, TASKS, PruneOptions(batch=40, pause_seconds=0), now=NOW)
            finally:
                await db.aclose()

        return asyncio.run(run())

    reports = await asyncio.gather(*(asyncio.to_thread(worker) for _ in range(3)))

    assert sum(r.expired_sessions for r in reports) == 600
    check = Database.from_url(database_url)
    try:
        assert _ids(check, web_session_table) == {"live"}
    finally:
        check.dispose()


def test_command_prints_what_it_deleted(database_url: str) -> None:
    db = Database.from_url(database_url)
    try:
        now = datetime.now(UTC)
        user_id = _user(db)
        _sessions(db, user_id, {"a": now - timedelta(days=2), "b": now - timedelta(hours=1)})
        _sessions(db, user_id, {"live": now + timedelta(days=1)})

        def expired_token(connection: Connection) -> None:
            token_repository.add_token(
                connection,
                token_id="t",
                user_id=user_id,
                purpose=RESET_PASSWORD,
                expires_at=now - timedelta(minutes=1),
            )

        db.run_sync(expired_token)
        for days in (9, 8, 3):
            _email(db, created=now - timedelta(days=days), outcome=SENT)
        _email(db, created=now - timedelta(days=4), outcome=DROPPED)
        _email(db, created=now - timedelta(days=20), outcome=FAILED)

        result = recipe_api("db", "prune", database_url=database_url, PRUNE_SENT_EMAIL_DAYS="3.5")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "Deleted 2 expired session(s).",
            "Deleted 1 expired account token(s).",
            "Deleted 2 email(s) sent and 1 dropped more than 3.5 day(s) ago.",
            "Kept 1 failed email(s): see `recipe-api outbox list`, then `outbox retry`.",
            "Deleted 0 import job(s) finished more than 30 day(s) ago.",
        ]
        assert _ids(db, web_session_table) == {"live"}
        assert _ids(db, account_token_table) == set()
        assert sorted(_statuses(db).values()) == [FAILED, SENT]
        # Again: nothing left.
        again = recipe_api("db", "prune", database_url=database_url, PRUNE_SENT_EMAIL_DAYS="3.5")
        assert again.stdout.splitlines()[:3] == [
            "Deleted 0 expired session(s).",
            "Deleted 0 expired account token(s).",
            "Deleted 0 email(s) sent and 0 dropped more than 3.5 day(s) ago.",
        ]
    finally:
        db.dispose()


def _add_expired_session(db: Database, user_id: int, session_id: str) -> None:
    _sessions(db, user_id, {session_id: datetime.now(UTC) - timedelta(minutes=1)})


async def test_lifespan_starts_the_periodic_prune_and_stops_it(settings: Settings) -> None:
    app = create_app(
        settings.model_copy(update={"prune_in_workers": True, "prune_interval_seconds": 0.05})
    )
    async with app.router.lifespan_context(app):
        db: Database = app.state.db
        pruner: Pruner = app.state.pruner
        assert pruner.running
        user_id = _user(db)
        _add_expired_session(db, user_id, "first")
        await eventually(lambda: not _ids(db, web_session_table))
        # Again at the next interval, not once only.
        _add_expired_session(db, user_id, "second")
        await eventually(lambda: not _ids(db, web_session_table))
    assert not pruner.running
    assert [t for t in asyncio.all_tasks() if t.get_name() == "prune"] == []

    off = create_app(settings.model_copy(update={"prune_interval_seconds": 0.05}))
    async with off.router.lifespan_context(off):
        assert not off.state.pruner.running
        _add_expired_session(off.state.db, _user(off.state.db, "other@example.com"), "kept")
        await asyncio.sleep(0.3)
        assert _ids(off.state.db, web_session_table) == {"kept"}


def _unreachable(database_url: str, tmp_path: Path) -> str:
    if make_url(database_url).get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'recipes.db'}"
    return f"postgresql://root@127.0.0.1:{free_port()}/none"


async def test_a_worker_whose_database_is_down_logs_each_prune_and_keeps_serving(
    settings: Settings, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    update = {
        "database_url": _unreachable(database_url, tmp_path),
        "db_connect_timeout": 1.0,
        "prune_in_workers": True,
        "prune_interval_seconds": 0.05,
    }
    app = create_app(settings.model_copy(update=update))
    caplog.set_level(logging.WARNING, logger="recipe_api.db.prune")
    async with app.router.lifespan_context(app):
        pruner: Pruner = app.state.pruner
        await eventually(lambda: pruner.runs >= 3)
        assert pruner.running
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert (await http.get("/health/live")).status_code == 200
            assert (await http.get("/health/ready")).status_code == 503
    assert not pruner.running
    failures = [r for r in caplog.records if r.name == "recipe_api.db.prune"]
    assert len(failures) >= 3
    assert all(
        r.levelno == logging.WARNING and "database unavailable" in r.getMessage() for r in failures
    )


@contextmanager
def sessions_locked(database_url: str) -> Iterator[None]:
    """Another client holds web_session: PostgreSQL's table lock, SQLite's write lock."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        import sqlite3

        writer = sqlite3.connect(url.database or "", isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    with psycopg.connect(_admin_dsn(database_url)) as other:
        other.execute("LOCK TABLE web_session IN ACCESS EXCLUSIVE MODE")
        yield
        other.rollback()


async def test_a_prune_that_fails_is_tried_again_at_the_next_interval(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(database_url, statement_timeout_ms=200)
    pruner = Pruner(db, TASKS, PruneOptions(interval_seconds=0.05, pause_seconds=0))
    try:
        _add_expired_session(db, _user(db), "old")
        caplog.set_level(logging.WARNING, logger="recipe_api.db.prune")
        with sessions_locked(database_url):
            pruner.start()
            await eventually(lambda: pruner.runs >= 2)
            assert pruner.running
        failures = [r for r in caplog.records if "database unavailable" in r.getMessage()]
        assert len(failures) >= 2
        await eventually(lambda: not _ids(db, web_session_table))
        assert pruner.running
    finally:
        await pruner.stop()
        await db.aclose()


async def test_stop_does_not_wait_for_the_interval(db: Database) -> None:
    pruner = Pruner(db, TASKS, PruneOptions(interval_seconds=3600))
    pruner.start()
    assert pruner.running
    await asyncio.wait_for(pruner.stop(), 1.0)
    assert not pruner.running
    assert pruner.runs == 0


async def test_a_backlog_goes_in_one_run_in_bounded_batches(db: Database) -> None:
    """A first prune of an old database: many expired rows, inserted at once."""
    user_id = _user(db)
    rows = [
        {"id": f"s{i}", "user_id": user_id, "expires_at": NOW - timedelta(seconds=i)}
        for i in range(1234)
    ]
    db.run_sync(lambda c: c.execute(insert(web_session_table), rows))
    with deletes_counted(db) as counts:
        report = await prune(db, TASKS, PruneOptions(batch=500, pause_seconds=0), now=NOW)
    assert report.expired_sessions == 1234
    assert counts == [500, 500, 234]
