"""``recipe-api backup`` and ``restore``: every row of every table (and every stored file)
comes back, on either database and from one into the other; a non-empty target and a
damaged archive are refused with nothing changed.

The tables are filled from their metadata, not from a list: a table added later is
filled, backed up and compared without touching this file.
"""

from __future__ import annotations

import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    insert,
    select,
    text,
)

from recipe_api.db.backup import (
    TableReport,
    backed_up_tables,
    backup,
    restore,
)
from recipe_api.db.engine import create_db_engine
from recipe_api.recipes.models import recipe_count_table
from recipe_api.users.models import user_table
from tests.test_cli_operations import recipe_api
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)

ROWS_PER_TABLE = 3
# What a round trip must keep: quotes, a newline, a NUL-free control, non-ASCII, an emoji.
AWKWARD = 'Crème "brûlée"\n\t½ tsp 🍋 '


def _value(column: Any, i: int) -> Any:
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, Boolean):
        return i % 2 == 0
    if isinstance(column_type, Integer):
        return 10 + i
    if isinstance(column_type, DateTime):
        return datetime(2026, 12, 6, 8, 30, 15, 123456, tzinfo=UTC) + timedelta(days=i)
    if isinstance(column_type, Date):
        return datetime(2026, 12, 6 + i).date()
    if isinstance(column_type, JSON):
        return [f"{AWKWARD}{i}", "2 cloves garlic"]
    if isinstance(column_type, LargeBinary):
        return bytes(range(256)) * (i + 1)
    if isinstance(column_type, Float):
        return 0.5 + i
    if isinstance(column_type, Numeric):
        return 1 + i
    if isinstance(column_type, String | Text):
        length = getattr(column_type, "length", None) or 64
        return f"{i}-{column.table.name}-{column.name}-{AWKWARD}"[:length]
    raise AssertionError(f"no test value for {column.table.name}.{column.name}: {column_type}")


def fill_every_table(connection: Connection) -> None:
    """``ROWS_PER_TABLE`` rows in each backed-up table, parents first, each value unusual."""
    ids: dict[str, list[Any]] = {}
    for table in backed_up_tables():
        rows = []
        for i in range(ROWS_PER_TABLE):
            row: dict[str, Any] = {}
            for column in table.columns:
                foreign = next(iter(column.foreign_keys), None)
                if foreign is not None:
                    row[column.name] = ids[foreign.column.table.name][i]
                elif column is table.autoincrement_column:
                    continue  # the database's own ids, as in real use
                else:
                    row[column.name] = _value(column, i)
            rows.append(row)
        keys = [
            connection.execute(insert(table).values(row).returning(*table.primary_key)).scalar_one()
            for row in rows
        ]
        ids[table.name] = keys


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in backed_up_tables()
            }
    finally:
        engine.dispose()


def _run(url: str, fn: Any) -> Any:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            return fn(connection)
    finally:
        engine.dispose()


@pytest.fixture
def filled(database_url: str) -> str:
    _run(database_url, fill_every_table)
    return database_url


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_every_row_and_file_comes_back_on_either_database(
    filled: str,
    empty_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """SQLite -> SQLite, SQLite -> PostgreSQL, PostgreSQL -> SQLite, PostgreSQL -> PostgreSQL."""
    photos = tmp_path / "photos"
    (photos / "ab").mkdir(parents=True)
    (photos / "ab" / "cd.webp").write_bytes(b"RIFF\x00\x01photo" * 100)
    (photos / "top.jpg").write_bytes(bytes(range(256)))
    archive = tmp_path / "service.zip"

    made = backup(filled, archive, folders={"photo_dir": photos})
    before = dump(filled)
    assert all(len(rows) == ROWS_PER_TABLE for rows in before.values()), before
    assert made.files == 2

    restored_photos = tmp_path / "elsewhere" / "photos"
    report = restore(empty_database, archive, folders={"photo_dir": restored_photos})

    assert dump(empty_database) == before
    assert report.rows == ROWS_PER_TABLE * len(before)
    assert sorted(p.relative_to(restored_photos).as_posix() for p in restored_photos.rglob("*.*"))
    for name in ("ab/cd.webp", "top.jpg"):
        assert (restored_photos / name).read_bytes() == (photos / name).read_bytes()
    # The triggers counted the recipes again as they went in.
    assert _run(empty_database, lambda c: c.execute(select(recipe_count_table.c.recipes)).scalar())
    assert _run(
        empty_database, lambda c: c.execute(select(recipe_count_table.c.recipes)).scalar()
    ) == len(before["recipe"])
    # New rows get fresh ids, not a restored one's.
    new_id = _run(
        empty_database,
        lambda c: c.execute(
            insert(user_table)
            .values(email="new@example.com", email_key="new@example.com")
            .returning(user_table.c.id)
        ).scalar_one(),
    )
    assert new_id > max(row[0] for row in before["user"])


def test_commands_back_up_and_restore_and_refuse_a_database_with_rows(
    filled: str, tmp_path: Path
) -> None:
    archive = tmp_path / "service.zip"
    made = recipe_api("backup", str(archive), database_url=filled)
    assert made.returncode == 0, made.stderr
    assert "Backup of revision" in made.stdout
    before = dump(filled)

    refused = recipe_api("restore", str(archive), database_url=filled)
    assert refused.returncode == 1
    message = refused.stderr.strip()
    assert message.startswith("recipe-api: the database at ")
    assert "is not empty" in message and "--replace" in message
    assert "\n" not in message
    assert dump(filled) == before

    # --replace: what it held goes, the backup comes back, in one transaction.
    first_cook = user_table.delete().where(user_table.c.id == before["user"][0][0])
    _run(filled, lambda c: c.execute(first_cook))
    replaced = recipe_api("restore", str(archive), "--replace", database_url=filled)
    assert replaced.returncode == 0, replaced.stderr
    assert dump(filled) == before


def _corrupt_member(archive: Path, member: str, damaged: Path) -> None:
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(damaged, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                # A row cut short in the middle: its JSON no longer parses.
                data = data[: len(data) // 2] + b"\n" + data[len(data) // 2 :]
                data = data.replace(b"]\n", b"\n", 1)
            out.writestr(info, data)


@pytest.mark.parametrize("damage", ["not a zip", "no manifest", "row", "bit flip", "truncated"])
def test_a_damaged_archive_is_refused_and_leaves_nothing(
    filled: str,
    empty_database: str,  # noqa: F811
    tmp_path: Path,
    damage: str,
) -> None:
    good = tmp_path / "good.zip"
    backup(filled, good)
    bad = tmp_path / "bad.zip"
    if damage == "not a zip":
        bad.write_bytes(b"PK\x03\x04 this is not a backup" * 10)
    elif damage == "no manifest":
        with zipfile.ZipFile(bad, "w") as out:
            out.writestr("tables/user.jsonl", "[1]\n")
    elif damage == "row":
        _corrupt_member(good, "tables/recipe.jsonl", bad)
    elif damage == "bit flip":
        data = bytearray(good.read_bytes())
        with zipfile.ZipFile(good) as archive:
            info = archive.getinfo("tables/recipe.jsonl")
        # Inside the compressed rows of the recipe table, past its local header.
        data[info.header_offset + 60 + info.compress_size // 2] ^= 0xFF
        bad.write_bytes(bytes(data))
    else:
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])

    result = recipe_api("restore", str(bad), database_url=empty_database)

    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith("recipe-api: ")
    assert "\n" not in message
    assert ("damaged" in message) or ("not a recipe-api backup" in message), message
    # Nothing half-done: every table is empty (or was never made).
    engine = create_db_engine(empty_database)
    try:
        with engine.connect() as connection:
            present = set(connection.dialect.get_table_names(connection))
            for table in backed_up_tables():
                if table.name in present:
                    count = connection.execute(select(func.count()).select_from(table)).scalar()
                    assert count == 0, (table.name, count)
    finally:
        engine.dispose()


def _add_cook_and_recipe(connection: Connection, n: int) -> int:
    user_id = connection.execute(
        insert(user_table)
        .values(email=f"writer{n}@example.com", email_key=f"writer{n}@example.com")
        .returning(user_table.c.id)
    ).scalar_one()
    from recipe_api.recipes.models import recipe_table

    connection.execute(
        insert(recipe_table).values(label=f"Soup {n}", url="", source="", submitter_id=user_id)
    )
    return int(user_id)


def test_a_backup_taken_while_cooks_write_is_one_moment(
    filled: str,
    empty_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Each write adds a cook and their recipe at once: a backup that saw the recipe
    without its cook (tables read at different moments) would not restore."""
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        engine = create_db_engine(filled)
        try:
            while not stop.is_set():
                with engine.begin() as connection:
                    written.append(_add_cook_and_recipe(connection, len(written)))
        finally:
            engine.dispose()

    writer = threading.Thread(target=write)
    tables_read: list[str] = []
    writer.start()
    try:
        # Writes keep landing between the tables' reads.
        def pause(done: TableReport) -> None:
            tables_read.append(done.name)
            seen = len(written)
            while len(written) < seen + 2 and writer.is_alive():
                stop.wait(0.01)

        archive = tmp_path / "busy.zip"
        made = backup(filled, archive, progress=pause)
    finally:
        stop.set()
        writer.join()
    assert len(written) > 2 * len(tables_read) - 2
    report = restore(empty_database, archive)
    counts = {table.name: table.rows for table in report.tables}
    assert counts == {table.name: table.rows for table in made.tables}
    assert counts["user"] - ROWS_PER_TABLE == counts["recipe"] - ROWS_PER_TABLE
    # And the source did move on: the backup is of one moment, not of the end.
    assert len(dump(filled)["user"]) > counts["user"]


def test_a_write_during_a_restore_waits_and_gets_a_fresh_id(
    filled: str,
    empty_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    archive = tmp_path / "service.zip"
    backup(filled, archive)
    before = dump(filled)
    results: list[int | BaseException] = []
    writer: threading.Thread | None = None
    waiting = threading.Event()

    def write() -> None:
        if _backend(empty_database) == "sqlite":
            import sqlite3

            # A writer with patience: the restore holds the write lock until it commits.
            path = empty_database.removeprefix("sqlite:///")
            raw = sqlite3.connect(path, timeout=60, isolation_level=None)
            try:
                waiting.set()
                raw.execute("BEGIN IMMEDIATE")
                cursor = raw.execute(
                    'INSERT INTO "user" (email, email_key, is_superuser) '
                    "VALUES ('late@example.com', 'late@example.com', 0) RETURNING id"
                )
                results.append(cursor.fetchone()[0])
                raw.execute("COMMIT")
            except BaseException as exc:
                results.append(exc)
            finally:
                raw.close()
            return
        try:
            waiting.set()
            results.append(
                _run(
                    empty_database,
                    lambda c: c.execute(
                        insert(user_table)
                        .values(email="late@example.com", email_key="late@example.com")
                        .returning(user_table.c.id)
                    ).scalar_one(),
                )
            )
        except BaseException as exc:
            results.append(exc)

    def start_writer(done: TableReport) -> None:
        nonlocal writer
        if writer is None:
            writer = threading.Thread(target=write)
            writer.start()
            waiting.wait()
            if _backend(empty_database) == "postgresql":
                _wait_for_lock_waiter(empty_database)
            else:
                threading.Event().wait(0.3)  # long enough to be queued behind the lock

    restore(empty_database, archive, progress=start_writer)
    assert writer is not None
    writer.join()
    assert len(results) == 1 and isinstance(results[0], int), results
    after = dump(empty_database)
    assert results[0] > max(row[0] for row in before["user"])
    assert len(after["user"]) == len(before["user"]) + 1
    for name, rows in before.items():
        if name != "user":
            assert after[name] == rows


def _wait_for_lock_waiter(url: str) -> None:
    """Until another connection waits on a lock (the restore's): bounded, never timed."""
    engine = create_db_engine(url)
    try:
        for _ in range(500):
            with engine.connect() as connection:
                waiting = connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                ).scalar()
            if waiting:
                return
            threading.Event().wait(0.02)
    finally:
        engine.dispose()


def test_every_table_of_the_metadata_is_backed_up() -> None:
    """A table added later (photos, say) is in the backup with no list to update."""
    from recipe_api.db.base import metadata

    names = {table.name for table in backed_up_tables()}
    derived = {table.name for table in metadata.sorted_tables if table.info.get("derived")}
    assert names | derived == set(metadata.tables)
    assert {"user", "recipe", "web_session", "account_token", "email_outbox"} <= names
    assert derived == {"recipe_count", "recipe_version"}
    assert isinstance(user_table, Table)


def test_a_setting_marked_as_stored_files_names_a_folder_to_back_up(tmp_path: Path) -> None:
    from pydantic import Field

    from recipe_api.db.backup import STORED_FILES, stored_folders
    from recipe_api.settings import Settings

    class WithPhotos(Settings):
        photo_dir: Path = Field(default=Path("photos"), json_schema_extra={STORED_FILES: True})

    settings = WithPhotos(_env_file=None, photo_dir=tmp_path / "p")
    assert stored_folders(settings) == {"photo_dir": tmp_path / "p"}
    # Today's settings name no such folder (the email outbox is a development drop).
    assert stored_folders(Settings(_env_file=None)) == {}
