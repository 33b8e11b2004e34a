"""``recipe-api backup`` and ``restore``: the whole service as one archive, on either database.

The archive is a zip file (see ``docs/decisions/0023-backup-and-restore.md``):

* ``manifest.json``: the format, the Alembic revision, and per table its
  columns (name and kind), its row count and its member; per stored folder
  its files. Written last, read first (zip's directory is at the end).
* ``tables/<table>.jsonl``: one JSON array per row, the values in the
  manifest's column order, encoded by kind (a timestamp as ISO 8601 in UTC,
  bytes as base64, JSON as itself). The same for SQLite and PostgreSQL, so
  a backup of one restores into the other.
* ``files/<setting>/<path>``: the files under each folder a setting marked
  :data:`STORED_FILES` points to.

The tables are every table of the metadata (every ``models`` module of the
package, found by walking it), read inside one snapshot: a ``REPEATABLE READ``
read-only transaction on PostgreSQL, one read transaction on SQLite (WAL
keeps it while writers commit). Tables whose rows triggers keep from other
tables (``info={"derived": True}``) are neither saved nor restored: the
triggers recompute them as the rows go in, as they do the search indexes.

A restore migrates an empty database to the backup's revision, then loads
every table in foreign-key order in one transaction that holds the tables
against other writers (``BEGIN IMMEDIATE`` on SQLite, ``LOCK TABLE`` on
PostgreSQL), reading the archive as a stream, and sets PostgreSQL's
sequences past the restored ids. Anything wrong rolls the whole load back.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import pkgutil
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    TypeDecorator,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.types import TypeEngine

from recipe_api.db.base import metadata
from recipe_api.db.engine import create_db_engine, normalize_url

FORMAT = "recipe-api-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# A settings field whose value is a folder of files the service stores carries
# this in its json_schema_extra; the backup takes the folder's files with it.
STORED_FILES = "stored_files"
# Rows per batch on the way in and out: bounded memory whatever the table's size.
BATCH_ROWS = 2000
COMPRESS_LEVEL = 1
# SQLite's limit of bound parameters per statement (32,766 since 3.32).
SQLITE_MAX_PARAMETERS = 30_000


class BackupError(Exception):
    """A backup or restore that cannot go on: the reason, in one paragraph."""


@dataclass
class TableReport:
    name: str
    rows: int


@dataclass
class Report:
    revision: str
    tables: list[TableReport] = field(default_factory=list)
    files: int = 0

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


Progress = Callable[[TableReport], None]


def load_models() -> None:
    """Import every ``models`` module of the package: each registers its tables."""
    import recipe_api

    for module in pkgutil.walk_packages(recipe_api.__path__, "recipe_api."):
        if module.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(module.name)


def backed_up_tables() -> list[Table]:
    """Every table of the metadata but the derived ones, parents before children."""
    load_models()
    return [table for table in metadata.sorted_tables if not table.info.get("derived")]


def stored_folders(settings: Any) -> dict[str, Path]:
    """The folders settings marked :data:`STORED_FILES` name, by setting."""
    folders: dict[str, Path] = {}
    for name, info in type(settings).model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get(STORED_FILES):
            value = getattr(settings, name)
            if value is not None:
                folders[name] = Path(value)
    return folders


# Values by kind: what a column's Python value becomes in JSON, and back.


def _kind(column_type: TypeEngine[Any]) -> str:
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Time):
        return "time"
    if isinstance(column_type, JSON):
        return "json"
    if isinstance(column_type, LargeBinary):
        return "bytes"
    if isinstance(column_type, Numeric) and not isinstance(column_type, Float | Integer):
        return "decimal"
    return "plain"


def _encode_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat()


_ENCODE: dict[str, Callable[[Any], Any]] = {
    "datetime": _encode_datetime,
    "date": date.isoformat,
    "time": time.isoformat,
    "bytes": lambda value: base64.b64encode(value).decode("ascii"),
    "decimal": str,
}
_DECODE: dict[str, Callable[[Any], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "bytes": base64.b64decode,
    "decimal": Decimal,
}


def _row_codec(
    kinds: list[str], table: Mapping[str, Callable[[Any], Any]]
) -> Callable[[Iterable[Any]], list[Any]]:
    converters = [(i, table[kind]) for i, kind in enumerate(kinds) if kind in table]

    def convert(row: Iterable[Any]) -> list[Any]:
        values = list(row)
        for i, convert_value in converters:
            if values[i] is not None:
                values[i] = convert_value(values[i])
        return values

    return convert


# Backup


def _revision(connection: Connection) -> str:
    try:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        raise BackupError(
            "the database has never been migrated (no alembic_version): nothing to back up."
        ) from exc
    if revision is None:
        raise BackupError("the database has never been migrated: nothing to back up.")
    return str(revision)


def _begin_snapshot(connection: Connection) -> Connection:
    """One snapshot for every table: what a backup of a running service needs."""
    if connection.dialect.name == "sqlite":
        # pysqlite opens no transaction for a SELECT; one explicit BEGIN makes
        # every read see the database as at the first (WAL keeps it for us).
        raw = connection.connection.driver_connection
        raw.isolation_level = None  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN")
        return connection
    return connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def backup(
    database_url: str,
    destination: Path,
    *,
    folders: Mapping[str, Path] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Writes the whole service to ``destination`` (replaced only once complete)."""
    tables = backed_up_tables()
    destination = Path(destination)
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder; name the archive file to write.")
    parent = destination.parent if str(destination.parent) else Path(".")
    if not parent.is_dir():
        raise BackupError(f"cannot write {destination}: the folder {parent} does not exist.")
    handle, partial_name = tempfile.mkstemp(prefix=f".{destination.name}.", dir=parent)
    os.close(handle)
    partial = Path(partial_name)
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as plain:
            connection = _begin_snapshot(plain)
            try:
                with zipfile.ZipFile(
                    partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
                ) as archive:
                    report = Report(revision=_revision(connection))
                    manifest_tables = [
                        _write_table(connection, table, archive, report, progress)
                        for table in tables
                    ]
                    manifest_folders = [
                        _write_folder(name, folder, archive, report)
                        for name, folder in (folders or {}).items()
                    ]
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "revision": report.revision,
                        "created_at": datetime.now(UTC).isoformat(),
                        "source_backend": connection.dialect.name,
                        "tables": manifest_tables,
                        "derived_tables": sorted(
                            t.name for t in metadata.sorted_tables if t.info.get("derived")
                        ),
                        "folders": manifest_folders,
                    }
                    archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            finally:
                connection.rollback()
        os.chmod(partial, 0o600)  # it holds password hashes and sessions
        partial.replace(destination)
        return report
    finally:
        engine.dispose()
        partial.unlink(missing_ok=True)


def _write_table(
    connection: Connection,
    table: Table,
    archive: zipfile.ZipFile,
    report: Report,
    progress: Progress | None,
) -> dict[str, Any]:
    columns = list(table.columns)
    kinds = [_kind(column.type) for column in columns]
    encode = _row_codec(kinds, _ENCODE)
    member = f"tables/{table.name}.jsonl"
    statement = select(*columns).order_by(*table.primary_key.columns)
    rows = 0
    with archive.open(member, "w", force_zip64=True) as out:
        result = connection.execution_options(yield_per=BATCH_ROWS).execute(statement)
        for batch in result.partitions():
            out.write(b"".join(orjson.dumps(encode(row)) + b"\n" for row in batch))
            rows += len(batch)
    done = TableReport(table.name, rows)
    report.tables.append(done)
    if progress is not None:
        progress(done)
    return {
        "name": table.name,
        "columns": [[column.name, kind] for column, kind in zip(columns, kinds, strict=True)],
        "rows": rows,
        "member": member,
    }


def _write_folder(
    name: str, folder: Path, archive: zipfile.ZipFile, report: Report
) -> dict[str, Any]:
    files = 0
    size = 0
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                relative = path.relative_to(folder).as_posix()
                # Photos are compressed already: stored as they are.
                archive.write(path, f"files/{name}/{relative}", zipfile.ZIP_STORED)
                files += 1
                size += path.stat().st_size
    report.files += files
    return {"setting": name, "files": files, "bytes": size}


# Restore


@dataclass
class _Manifest:
    revision: str
    tables: list[dict[str, Any]]
    folders: list[dict[str, Any]]


def _read_manifest(archive: zipfile.ZipFile, source: Path) -> _Manifest:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError(f"{source} is not a recipe-api backup (no {MANIFEST}).") from None
    except (ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{source} is damaged: its {MANIFEST} cannot be read ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a recipe-api backup (its manifest says otherwise).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{source} is a backup of format {manifest.get('format_version')!r}; this version "
            f"reads format {FORMAT_VERSION}."
        )
    try:
        return _Manifest(
            revision=str(manifest["revision"]),
            tables=list(manifest["tables"]),
            folders=list(manifest.get("folders", [])),
        )
    except (KeyError, TypeError) as exc:
        raise BackupError(f"{source} is damaged: its manifest lacks {exc}.") from None


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from recipe_api.db.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {script.revision for script in scripts.walk_revisions()}


def _tables_with_rows(connection: Connection, tables: Iterable[Table]) -> list[str]:
    present = set(inspect(connection).get_table_names())
    return [
        table.name
        for table in tables
        if table.name in present
        and connection.execute(select(select(table).limit(1).exists())).scalar()
    ]


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if value is None else str(value)


def _refusal(url: str, holding: list[str]) -> BackupError:
    return BackupError(
        f"the database at {url} is not empty (rows in {', '.join(holding)}); restore needs "
        "an empty database. Give --replace to delete everything it holds and restore in "
        "its place (in one transaction)."
    )


def restore(
    database_url: str,
    source: Path,
    *,
    folders: Mapping[str, Path] | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Loads ``source`` into the database at ``database_url`` (see the module docstring)."""
    source = Path(source)
    shown_url = normalize_url(database_url).render_as_string(hide_password=True)
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupError(f"no file {source}.") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{source} is not a recipe-api backup: {exc}.") from None
    with archive:
        manifest = _read_manifest(archive, source)
        if manifest.revision not in _known_revisions():
            raise BackupError(
                f"{source} was made at revision {manifest.revision}, which this version of "
                "recipe-api does not know; restore it with the version that made it."
            )
        tables = {table.name: table for table in backed_up_tables()}
        unknown = [
            entry.get("name") for entry in manifest.tables if entry.get("name") not in tables
        ]
        if unknown:
            raise BackupError(
                f"{source} holds tables this version does not have: {', '.join(map(str, unknown))}."
            )
        engine = create_db_engine(database_url)
        try:
            current = _current_revision(engine)
            with engine.connect() as connection:
                holding = _tables_with_rows(connection, tables.values())
                connection.rollback()
            if holding and not replace:
                raise _refusal(shown_url, holding)
            _migrate_to(database_url, current, manifest.revision, shown_url)
            staged = _stage_files(archive, manifest, folders or {}, replace=replace)
            try:
                report = _load(engine, archive, manifest, tables, shown_url, replace, progress)
                report.files = _place_files(staged)
            finally:
                for staging, _ in staged.values():
                    shutil.rmtree(staging, ignore_errors=True)
        finally:
            engine.dispose()
    return report


def _migrate_to(url: str, current: str | None, revision: str, shown_url: str) -> None:
    from alembic.script import ScriptDirectory

    from recipe_api.db import migrate

    if current == revision:
        return
    if current is not None:
        scripts = ScriptDirectory.from_config(migrate.alembic_config(url))
        ancestors = {script.revision for script in scripts.iterate_revisions(revision, "base")}
        if current not in ancestors:
            raise BackupError(
                f"the database at {shown_url} is at revision {current}, past the backup's "
                f"{revision}; restore into a new, empty database (or `recipe-api db downgrade "
                f"{revision}` this one first)."
            )
    migrate.upgrade(url, revision)


def _load(
    engine: Engine,
    archive: zipfile.ZipFile,
    manifest: _Manifest,
    tables: Mapping[str, Table],
    shown_url: str,
    replace: bool,
    progress: Progress | None,
) -> Report:
    order = [name for name in tables if any(e["name"] == name for e in manifest.tables)]
    entries = {entry["name"]: entry for entry in manifest.tables}
    report = Report(revision=manifest.revision)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(
                text(
                    "LOCK TABLE "
                    + ", ".join(connection.dialect.identifier_preparer.quote(n) for n in tables)
                    + " IN EXCLUSIVE MODE"
                )
            )
        else:
            raw = connection.connection.driver_connection
            raw.isolation_level = None  # type: ignore[union-attr]
            # The write lock from the start: no other writer between the check and the load.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            holding = _tables_with_rows(connection, tables.values())
            if holding:
                if not replace:
                    raise _refusal(shown_url, holding)
                for table in reversed(list(tables.values())):
                    connection.execute(table.delete())
            for name in order:
                rows = _load_table(connection, archive, entries[name], tables[name])
                done = TableReport(name, rows)
                report.tables.append(done)
                if progress is not None:
                    progress(done)
            if postgres:
                _reset_sequences(connection, [tables[name] for name in order])
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    return report


def _load_table(
    connection: Connection, archive: zipfile.ZipFile, entry: Mapping[str, Any], table: Table
) -> int:
    try:
        names = [str(name) for name, _ in entry["columns"]]
        kinds = [str(kind) for _, kind in entry["columns"]]
        expected = int(entry["rows"])
        member = str(entry["member"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"the manifest's entry for {table.name} is damaged ({exc}).") from None
    missing = [name for name in names if name not in table.c]
    if missing:
        raise BackupError(
            f"the backup's table {table.name} has columns this version does not: "
            f"{', '.join(missing)}."
        )
    columns = [table.c[name] for name in names]
    decode = _row_codec(kinds, _DECODE)
    rows = 0
    try:
        with archive.open(member) as stream:
            for batch in _batches(io.TextIOWrapper(stream, encoding="utf-8"), decode, table.name):
                if connection.dialect.name == "postgresql":
                    _copy_rows(connection, table, columns, batch)
                else:
                    _insert_rows(connection, table, names, batch)
                rows += len(batch)
    except KeyError:
        raise BackupError(f"the backup lacks {member}, which its manifest lists.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:
        raise BackupError(f"the backup is damaged in {member}: {exc}.") from None
    if rows != expected:
        raise BackupError(
            f"the backup's {member} holds {rows} rows, its manifest {expected}: it is damaged."
        )
    return rows


def _batches(
    lines: IO[str], decode: Callable[[Iterable[Any]], list[Any]], name: str
) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for number, line in enumerate(lines, 1):
        try:
            batch.append(decode(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            raise BackupError(
                f"the backup is damaged: line {number} of table {name} is not a row ({exc})."
            ) from None
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_rows(
    connection: Connection, table: Table, names: list[str], batch: list[list[Any]]
) -> None:
    """SQLite: many rows per ``INSERT``, not one statement per row.

    FTS5 writes its pending index to disk at the end of every statement: a
    row per statement made a segment per row, and merging them cost four
    times the load itself (20,000 recipes: 42 s by ``executemany``, 11 s in
    one statement).
    """
    per_statement = max(1, SQLITE_MAX_PARAMETERS // len(names))
    for start in range(0, len(batch), per_statement):
        chunk = batch[start : start + per_statement]
        connection.execute(
            table.insert().values([dict(zip(names, row, strict=True)) for row in chunk])
        )


def _copy_rows(
    connection: Connection, table: Table, columns: list[Any], batch: list[list[Any]]
) -> None:
    """PostgreSQL's COPY: statement triggers run once per batch, not per row."""
    dialect = connection.dialect
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(column.name) for column in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {preparer.quote(table.name)} ({names}) FROM STDIN") as copy,
    ):
        for row in batch:
            copy.write_row(
                [
                    value if process is None or value is None else process(value)
                    for value, process in zip(row, processors, strict=True)
                ]
            )


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """New rows get ids past the restored ones (COPY never advances a sequence)."""
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {
                    "table": connection.dialect.identifier_preparer.quote(table.name),
                    "column": column.name,
                },
            ).scalar()
            if sequence is None:
                continue
            highest = connection.execute(select(func.max(column))).scalar()
            connection.execute(
                text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": highest or 1, "called": highest is not None},
            )


def _stage_files(
    archive: zipfile.ZipFile,
    manifest: _Manifest,
    folders: Mapping[str, Path],
    *,
    replace: bool,
) -> dict[str, tuple[Path, Path]]:
    """Extracts each folder's files beside it; they move in once the rows are committed."""
    staged: dict[str, tuple[Path, Path]] = {}
    names = archive.namelist()
    for entry in manifest.folders:
        setting = str(entry.get("setting"))
        prefix = f"files/{setting}/"
        members = [name for name in names if name.startswith(prefix) and not name.endswith("/")]
        if not members:
            continue
        folder = folders.get(setting)
        if folder is None:
            raise BackupError(
                f"the backup holds files of the setting {setting.upper()}, which is not set "
                "here: set it to the folder they belong in."
            )
        if folder.is_dir() and any(folder.iterdir()) and not replace:
            raise BackupError(
                f"{folder} ({setting.upper()}) already holds files; restore needs it empty, "
                "or give --replace."
            )
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.restoring-", dir=folder.parent))
        staged[setting] = (staging, folder)
        for member in members:
            relative = Path(member[len(prefix) :])
            if relative.is_absolute() or ".." in relative.parts:
                raise BackupError(f"the backup's file {member} points outside its folder.")
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as data, target.open("wb") as out:
                    shutil.copyfileobj(data, out)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise BackupError(f"the backup is damaged in {member}: {exc}.") from None
    return staged


def _place_files(staged: Mapping[str, tuple[Path, Path]]) -> int:
    placed = 0
    for staging, folder in staged.values():
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                target = folder / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)
                placed += 1
    return placed


def run_command(settings: Any, args: Any) -> None:
    """``recipe-api backup ARCHIVE`` and ``recipe-api restore ARCHIVE [--replace]``."""
    import sys
    import time

    from recipe_api.db.migrate import script_head

    def show(done: TableReport) -> None:
        print(f"  {done.name}: {done.rows:,} rows", flush=True)

    folders = stored_folders(settings)
    started = time.perf_counter()
    try:
        if args.command == "backup":
            report = backup(settings.database_url, args.archive, folders=folders, progress=show)
            size = args.archive.stat().st_size / 1e6
            print(
                f"Backup of revision {report.revision}: {report.rows:,} rows in "
                f"{len(report.tables)} tables and {report.files} stored files, written to "
                f"{args.archive} ({size:,.1f} MB) in {time.perf_counter() - started:.1f} s."
            )
            return
        report = restore(
            settings.database_url,
            args.archive,
            folders=folders,
            replace=args.replace,
            progress=show,
        )
    except BackupError as exc:
        sys.exit(f"recipe-api: {exc}")
    print(
        f"Restored revision {report.revision}: {report.rows:,} rows in {len(report.tables)} "
        f"tables and {report.files} stored files in {time.perf_counter() - started:.1f} s."
    )
    if report.revision != script_head():
        print("The database is not at the newest revision: `recipe-api db upgrade` takes it there.")
