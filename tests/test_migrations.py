"""The migrations take an empty database to head and back, on every backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from recipe_api.db import migrate
from recipe_api.db.base import metadata
from recipe_api.db.engine import create_db_engine, normalize_url
from tests.conftest import skip_or_fail


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        skip_or_fail("TEST_DATABASE_URL is not set, so the PostgreSQL runs are skipped")
    assert base is not None
    admin_dsn = normalize_url(base).set(drivername="postgresql").render_as_string(False)
    name = f"recipe_api_migrate_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL at TEST_DATABASE_URL does not answer: {exc}")
    yield normalize_url(base).set(database=name).render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_and_back(empty_database: str) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config(empty_database)).get_current_head()
    migrate.upgrade(empty_database)
    assert {"user", "recipe", "web_session", "alembic_version"} <= _tables(empty_database)
    assert migrate.current_revision(empty_database) == head

    # The migrated schema is exactly what the code declares.
    engine = create_db_engine(empty_database)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert diff == []

    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) <= {"alembic_version"}
    assert migrate.current_revision(empty_database) is None
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == head


def test_script_head_agrees_with_alembic() -> None:
    """/health/ready reads the head from the files without alembic; alembic must agree."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert migrate.script_head() == scripts.get_current_head()


def _insert_users(url: str, emails: list[str]) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for email in emails:
                connection.execute(
                    text('INSERT INTO "user" (email) VALUES (:email)'), {"email": email}
                )
    finally:
        engine.dispose()


def _emails(url: str) -> list[str]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text('SELECT email FROM "user" ORDER BY id')).scalars())
    finally:
        engine.dispose()


def test_0002_normalizes_existing_emails(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    # What revision 0001 let in: lower-cased, but not NFKC nor case-folded.
    _insert_users(
        empty_database,
        ["\uff43\uff4f\uff4f\uff4b@example.com", "ann@example.com", "stra\u00dfe@example.com"],
    )
    migrate.upgrade(empty_database, "0002")
    assert _emails(empty_database) == [
        "cook@example.com",
        "ann@example.com",
        "strasse@example.com",
    ]
    assert migrate.current_revision(empty_database) == "0002"


def test_0002_refuses_emails_that_collide(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    before = ["cook@example.com", "\uff43\uff4f\uff4f\uff4b@example.com", "ann@example.com"]
    _insert_users(empty_database, before)
    with pytest.raises(RuntimeError, match=r"cook@example.com: id 1 \(cook@example.com\), id 2"):
        migrate.upgrade(empty_database, "0002")
    # Nothing changed, nothing lost: the operator resolves the pair and upgrades again.
    assert _emails(empty_database) == before
    assert migrate.current_revision(empty_database) == "0001"


def _url_column_type(url: str) -> str:
    engine = create_db_engine(url)
    try:
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("recipe")}
    finally:
        engine.dispose()
    return str(columns["url"]).upper()


def test_one_line_of_revisions_stepped_down_one_at_a_time(empty_database: str) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_database))
    # Newest first; one head, so the branches' migrations were put in one line:
    # the website's sessions (0004) come after the URL as text (0003); the email
    # outbox (0006) after them.
    revisions = [rev.revision for rev in script.walk_revisions()]
    assert revisions == ["0006", "0004", "0003", "0002", "0001"]
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == "0006"
    migrate.downgrade(empty_database, "0004")
    assert {"email_outbox", "account_token"}.isdisjoint(_tables(empty_database))
    assert "web_session" in _tables(empty_database)
    migrate.downgrade(empty_database, "0003")
    assert migrate.current_revision(empty_database) == "0003"
    assert "web_session" not in _tables(empty_database)
    assert _url_column_type(empty_database) == "TEXT"
    migrate.downgrade(empty_database, "0002")
    assert migrate.current_revision(empty_database) == "0002"
    assert _url_column_type(empty_database).startswith("VARCHAR")
    assert {"user", "recipe"} <= _tables(empty_database)
    migrate.downgrade(empty_database, "0001")
    assert migrate.current_revision(empty_database) == "0001"
    migrate.upgrade(empty_database, "0003")
    assert "web_session" not in _tables(empty_database)
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == "0006"
    assert {"web_session", "email_outbox", "account_token"} <= _tables(empty_database)
    assert _url_column_type(empty_database) == "TEXT"
