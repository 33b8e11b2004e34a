"""The schema metadata; its naming convention names constraints alike on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Dialect,
    MetaData,
    Table,
    TypeDecorator,
    delete,
    func,
    select,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always reads back as an aware UTC datetime.

    SQLite stores no offset; without this the API would answer naive times on
    SQLite and aware ones on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def created_at_column() -> Column[datetime]:
    return Column("created_at", UTCDateTime(), server_default=func.now(), nullable=False)


def delete_batch(
    connection: Connection,
    table: Table,
    conditions: list[ColumnElement[bool]],
    oldest_first: ColumnElement[object],
    limit: int,
) -> int:
    """Deletes up to ``limit`` rows of ``table`` meeting ``conditions``; returns how many.

    The rows are picked first (by ``oldest_first``, through its index), and on
    PostgreSQL rows another transaction holds are skipped, so two workers
    pruning at once take different rows and neither waits. SQLite runs one
    writer at a time, and the ``DELETE`` repeats the conditions, so a row gone
    meanwhile is not counted.
    """
    picked = (
        select(table.c.id)
        .where(*conditions)
        .order_by(oldest_first)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(connection.execute(picked).scalars())
    if not ids:
        return 0
    return connection.execute(delete(table).where(table.c.id.in_(ids), *conditions)).rowcount
