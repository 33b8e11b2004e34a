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
from sqlalchemy import inspect

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
    assert {"user", "recipe", "alembic_version"} <= _tables(empty_database)
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
