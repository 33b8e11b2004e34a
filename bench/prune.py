"""The prune's plans and batch times (docs/decisions/0012-pruning.md), SQLite and PostgreSQL.

    .venv/bin/python bench/prune.py [--postgres postgresql://root@127.0.0.1:5432/test]

For each backend, a fresh database migrated to head with ``--rows`` sessions
(half expired) and as many old sent emails: the plan of each kind's batch
select (``EXPLAIN QUERY PLAN``; PostgreSQL ``EXPLAIN ANALYZE``), then the
session batch delete at several batch sizes, interleaved, ``--rounds`` times
each (medians), then one unbatched delete of a fresh backlog for comparison.
``--revision 0006`` shows the plans without 0009's indexes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, delete, insert, select, text

from recipe_api.auth import session_repository
from recipe_api.auth.models import web_session_table
from recipe_api.db import migrate
from recipe_api.db.engine import Database, normalize_url
from recipe_api.email.models import DROPPED, SENT, email_outbox_table
from recipe_api.users.models import user_table

NOW = datetime.now(UTC)
SIZES = [100, 500, 2000]


def fill(db: Database, rows: int) -> None:
    def go(connection: Connection) -> None:
        user_id = connection.execute(select(user_table.c.id).limit(1)).scalar()
        if user_id is None:
            user_id = connection.execute(
                insert(user_table)
                .values(
                    email="bench@example.com", email_key="bench@example.com", is_superuser=False
                )
                .returning(user_table.c.id)
            ).scalar_one()
        sessions = [
            {
                "id": uuid.uuid4().hex,
                "user_id": user_id,
                "expires_at": NOW + timedelta(seconds=i - rows // 2),
            }
            for i in range(rows)
        ]
        for start in range(0, rows, 20_000):
            connection.execute(insert(web_session_table), sessions[start : start + 20_000])
        connection.execute(text("ANALYZE"))

    db.run_sync(go)


def fill_emails(db: Database, rows: int) -> None:
    def go(connection: Connection) -> None:
        emails = []
        for i in range(rows):
            sent = NOW - timedelta(days=14) * i / rows
            emails.append(
                {
                    "kind": "welcome",
                    "recipient": "bench@example.com",
                    "subject": "",
                    "text_body": "",
                    "html_body": "",
                    "status": SENT,
                    "attempts": 1,
                    "next_attempt_at": sent + timedelta(minutes=2),
                    "sent_at": sent,
                }
            )
        for start in range(0, rows, 20_000):
            connection.execute(insert(email_outbox_table), emails[start : start + 20_000])
        connection.execute(text("ANALYZE"))

    db.run_sync(go)


def plans(db: Database) -> None:
    s, o = web_session_table.c, email_outbox_table.c
    cutoff = NOW - timedelta(days=7)
    selects: dict[str, Any] = {
        "sessions": select(s.id).where(s.expires_at <= NOW).order_by(s.expires_at),
        "sent emails": select(o.id)
        .where(o.status == SENT, o.next_attempt_at < cutoff, o.sent_at < cutoff)
        .order_by(o.next_attempt_at),
        "dropped emails": select(o.id)
        .where(o.status == DROPPED, o.next_attempt_at < cutoff)
        .order_by(o.next_attempt_at),
    }
    sqlite = db.backend == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
    for name, statement in selects.items():
        statement = statement.limit(500).with_for_update(skip_locked=True)
        sql = str(
            statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        )
        print(f"  plan, {name}:")
        for row in db.run_sync(lambda c, sql=sql: c.execute(text(prefix + sql)).all()):
            print(f"    {row[-1]}")


def batches(db: Database, rounds: int) -> None:
    times: dict[int, list[float]] = {size: [] for size in SIZES}
    for _ in range(rounds):
        for size in SIZES:
            started = time.perf_counter()
            deleted = db.run_sync(session_repository.delete_expired_batch, NOW, size)
            times[size].append(time.perf_counter() - started)
            assert deleted == size, "too few expired rows for the rounds asked"
    for size in SIZES:
        median = statistics.median(times[size]) * 1000
        per_row = median / size * 1000
        print(f"  batch {size:>5}: median {median:6.2f} ms, {per_row:5.1f} us per row")


def unbatched(db: Database, rows: int) -> None:
    db.run_sync(lambda c: c.execute(delete(web_session_table)))
    fill(db, rows)
    started = time.perf_counter()
    statement = delete(web_session_table).where(web_session_table.c.expires_at <= NOW)
    deleted = db.run_sync(lambda c: c.execute(statement).rowcount)
    elapsed = (time.perf_counter() - started) * 1000
    print(f"  one DELETE of {deleted:,} expired rows: {elapsed:.0f} ms in one transaction")


def databases(postgres: str | None) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'prune.db'}"
    if not postgres:
        return
    admin = normalize_url(postgres).set(drivername="postgresql")
    name = f"recipe_api_prune_{uuid.uuid4().hex[:8]}"
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a server URL; a database is made and dropped")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--revision", default="head")
    args = parser.parse_args()
    for url in databases(args.postgres):
        migrate.upgrade(url, args.revision)
        db = Database.from_url(url)
        try:
            print(
                f"{db.backend}, {args.rows:,} sessions (half expired), at revision {args.revision}"
            )
            fill(db, args.rows)
            fill_emails(db, args.rows)
            plans(db)
            batches(db, args.rounds)
            unbatched(db, args.rows)
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
