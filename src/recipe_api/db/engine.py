"""The engine and the one place where sessions are opened, committed and closed.

Every database call goes through :meth:`Database.run`, which hands a
``Connection`` inside a transaction to a plain function and commits when it
returns (rolls back when it raises). Repositories and services never commit.
Queries are SQLAlchemy Core statements, most of them built once at import:
building a ``select()`` per call costs more than running it on SQLite.

Where the function runs depends on the backend (see
``docs/decisions/0001-database-execution.md`` for the measurements):

* SQLite is a library inside this process: a query is a function call that
  reads the OS page cache, a few tens of microseconds. It runs inline on the
  event loop; a hop to a worker thread costs more than the query itself.
* PostgreSQL is a network round trip: the same function runs on an asyncpg
  connection through ``AsyncConnection.run_sync``, so each statement awaits
  the server without blocking the loop and without a thread.

The synchronous engine (psycopg 3 on PostgreSQL) serves migrations, the
command line and tests: :meth:`Database.run_sync`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Concatenate, ParamSpec, TypeVar

from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from recipe_api.errors import QueryTimeoutError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_TOO_SLOW = "The query took too long and was stopped; narrow it and try again"

_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg2"}


def normalize_url(raw: str) -> URL:
    """The synchronous driver for a URL as users write it.

    Any PostgreSQL form selects psycopg 3; ``sqlite+aiosqlite://`` selects the
    standard library's sqlite3.
    """
    url = make_url(raw)
    if url.drivername in _POSTGRES_DRIVERS:
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername.startswith("sqlite"):
        url = url.set(drivername="sqlite")
    return url


def _configure_sqlite(engine: Engine) -> None:
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        if not in_memory:
            # WAL lets readers run while a writer commits, and NORMAL
            # synchronous is durable across application crashes in WAL mode.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Short: a statement runs on the event loop, so waiting for another
        # process's write lock stalls every request of this worker.
        cursor.execute("PRAGMA busy_timeout=2000")
        cursor.close()


def create_async_db_engine(raw_url: str, *, pool_size: int = 10) -> AsyncEngine:
    """The asyncpg engine that serves requests on PostgreSQL."""
    # Imported here: SQLite workers never need it, and it costs ~7 MB.
    from sqlalchemy.ext.asyncio import create_async_engine

    url = normalize_url(raw_url).set(drivername="postgresql+asyncpg")
    return create_async_engine(url, **_server_pool(pool_size), connect_args={"timeout": 5})


def _server_pool(pool_size: int) -> dict[str, Any]:
    """Pool options for a database server: bounded, checked, recycled."""
    return {
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }


def create_db_engine(raw_url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, **_server_pool(pool_size), connect_args={"connect_timeout": 5})


class Database:
    """Owns the engine; runs units of work (see the module docstring)."""

    def __init__(self, raw_url: str, *, pool_size: int = 10) -> None:
        self.url = normalize_url(raw_url)
        self.inline = self.url.get_backend_name() == "sqlite"
        self._pool_size = pool_size
        self.async_engine: AsyncEngine | None = None
        if not self.inline:
            self.async_engine = create_async_db_engine(raw_url, pool_size=pool_size)
        # Inline units of work never interleave (they do not await), so the
        # event loop's thread can keep one connection instead of a pool
        # checkout per call: 40 of the 110 µs a SQLite read takes.
        self._loop_connection: Connection | None = None
        self._loop_thread: int | None = None

    @classmethod
    def from_url(cls, raw_url: str, *, pool_size: int = 10) -> Database:
        return cls(raw_url, pool_size=pool_size)

    @cached_property
    def engine(self) -> Engine:
        """The synchronous engine: every SQLite call; on PostgreSQL, only ``run_sync``.

        Made on first use: a PostgreSQL worker that only serves requests never
        loads psycopg (11 MB).
        """
        url = self.url.render_as_string(hide_password=False)
        return create_db_engine(url, pool_size=self._pool_size if self.inline else 1)

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    def run_sync(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        with self.engine.begin() as connection:
            return fn(connection, *args, **kwargs)

    async def run(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(connection, *args)`` as one transaction and return its result."""
        if self.inline:
            return self._run_inline(fn, *args, **kwargs)
        if self.async_engine is None:
            return await to_thread.run_sync(lambda: self.run_sync(fn, *args, **kwargs))
        async with self.async_engine.begin() as connection:
            return await connection.run_sync(fn, *args, **kwargs)

    def _run_inline(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        thread = threading.get_ident()
        if self._loop_thread not in (None, thread):
            return self.run_sync(fn, *args, **kwargs)
        connection = self._loop_connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self._loop_connection = self.engine.connect()
            self._loop_thread = thread
        with connection.begin():
            return fn(connection, *args, **kwargs)

    async def run_bounded(
        self,
        fn: Callable[Concatenate[Connection, P], T],
        time_limit: float,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``run``, for a query that may be slow: stopped after ``time_limit`` seconds.

        On SQLite it leaves the event loop for a worker thread (sqlite3 lets go
        of the GIL while a statement runs), and the connection is interrupted
        when the time is up. On PostgreSQL the server enforces the limit
        (``statement_timeout``). Either way a stopped query raises
        ``QueryTimeoutError``.
        """
        if self.inline:
            return await to_thread.run_sync(
                lambda: self._run_interruptible(fn, time_limit, *args, **kwargs)
            )
        milliseconds = max(1, int(time_limit * 1000))

        def bounded(connection: Connection) -> T:
            connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
            return fn(connection, *args, **kwargs)

        try:
            return await self.run(bounded)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == "57014":  # query_canceled
                raise QueryTimeoutError(_TOO_SLOW) from exc
            raise

    def _run_interruptible(
        self,
        fn: Callable[Concatenate[Connection, P], T],
        time_limit: float,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self.engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            timer = threading.Timer(time_limit, raw.interrupt)
            timer.start()
            try:
                with connection.begin():
                    return fn(connection, *args, **kwargs)
            except OperationalError as exc:
                if "interrupted" in str(exc.orig):
                    raise QueryTimeoutError(_TOO_SLOW) from exc
                raise
            finally:
                timer.cancel()

    async def ping(self) -> None:
        def _select_one(connection: Connection) -> None:
            connection.execute(text("SELECT 1"))

        await self.run(_select_one)

    def dispose(self) -> None:
        """Close the synchronous side; ``aclose`` closes everything."""
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        if "engine" in self.__dict__:
            self.engine.dispose()

    async def aclose(self) -> None:
        self.dispose()
        if self.async_engine is not None:
            await self.async_engine.dispose()


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
