"""The engine and the one place where units of work are opened, committed and closed.

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
command line and tests: :meth:`Database.run_sync`; on PostgreSQL the searches
have a small psycopg pool of their own (:meth:`Database.read_bounded`).

A database in trouble answers 503, never 500, within a bounded time: the
connect, the wait for a pooled connection and each statement have timeouts,
and every method turns a failure that says "the database is not there right
now" into :class:`DatabaseUnavailableError`.

The methods say what a unit of work is, and so whether it may run twice:

* :meth:`Database.run`: a write, one transaction; never re-run, since it may
  have been committed before its connection dropped.
* :meth:`Database.read`: a unit that only reads. One that finds its
  connection dead runs once more on a fresh one. On PostgreSQL it runs in
  autocommit: under READ COMMITTED each statement sees its own snapshot
  inside a transaction too, and ``BEGIN``/``COMMIT`` cost two round trips.
* :meth:`Database.read_bounded`: a read that may be slow (a search), stopped
  after a time limit. It runs in a worker thread of its own pool, at a lower
  priority than the loop's (``SEARCH_THREAD_NICENESS``), on a connection of
  its own (on PostgreSQL a psycopg one, its backend lowered too where the
  server can), and a cancelled unit (the client went away) is stopped at
  once. On SQLite, one marked :func:`quick_first` runs on the event loop
  first when no other is in flight, and leaves for the thread only if it is
  not done within a few milliseconds of work. A worker's ``Database`` (the
  app's, ``search_process``) hands all of that to a child process of its own
  that runs it as described (``search_process.py``, decision 0038): the
  search's Python then never holds the GIL the worker's event loop needs.
* :meth:`Database.read_row` and :meth:`Database.read_statement`: one
  statement, the rows as mappings. The statement is compiled once per process
  and run on the driver's own connection (from the same pool): on SQLite the
  event loop's sqlite3 connection, on PostgreSQL an asyncpg prepared
  statement; column types are applied by SQLAlchemy's own result processors.
  For the reads on every request (the recipe, the recipes version).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import ClauseElement

from recipe_api.db.search_process import ChildOptions, SearchProcess
from recipe_api.errors import QueryTimeoutError, ServiceBusyError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.pool import PoolProxiedConnection
    from sqlalchemy.sql.compiler import SQLCompiler

    from recipe_api.settings import Settings

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_TOO_BUSY = "Too many searches are running; try again shortly"
# A bounded unit's settings on PostgreSQL, made when its connection (one of the
# searches' own, decision 0037) is opened, so that a search sends nothing but
# its statements. No parallel workers: the search reads its tiers as branches
# of one UNION ALL under a LIMIT, in order, and stops at the page (a Parallel
# Append would run them at once, out of order). No JIT: a bounded query is
# meant to take milliseconds, and a plan whose estimate crosses jit_above_cost
# (a branch that only runs for rare words, say) paid 20-30 ms compiling
# (measured). Its time limit is the connection's statement_timeout, set again
# only when a unit's limit differs from the last one set there.
_BOUNDED_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0"}
_TIMEOUT_SET = "recipe_api.statement_timeout_ms"

# A bounded unit marked ``quick_first`` runs first on the event loop (SQLite), for
# at most this many of SQLite's virtual machine steps (the search at a thousand
# recipes takes 2,000-4,000; a typo's lookup at 100,000, 30,000-70,000) and at
# most this long (a step may be long: an FTS5 index walk of a common word at
# 100,000 recipes is one step of 1-6 ms; or a page read from disk); past either,
# it is stopped and runs again in a worker thread. The thread hop costs more
# CPU than the search itself at a thousand recipes (decision 0030). "This long"
# is by the clock and by the thread's CPU time both: on a busy machine the clock
# runs on while the loop waits for a core, and a quick search paused so is not
# sent away (decision 0035). The CPU clock is read only once the wall clock is
# past: it is a system call, which cost more than the search's statements when
# read on every progress call (profiled, decision 0030).
# 2 ms, not 10: a read waits behind whatever a search does on the loop, and at
# a million recipes 10 ms let the heavy shapes hold it (decision 0030).
QUICK_FIRST_STEPS = 10_000
QUICK_FIRST_SECONDS = 0.002
# sqlite3 calls the progress handler every this many steps.
_PROGRESS_STEPS = 1000
# A unit (its function and arguments: the same search) stopped on the loop twice
# in a row runs straight in the thread this many times before it is tried on
# the loop again: a heavy search paid its quick try every time (2-3 ms more CPU
# at 100,000 recipes, measured). Twice: a quick one stopped because the loop
# waited for a core (2 % of the tries on this loaded machine) is not sent
# away. At most this many units are remembered per worker.
QUICK_FIRST_SKIPS = 64
_QUICK_FIRST_REMEMBERED = 1024
# The clocks of the loop-first try (module names, so that a test can stand in for them).
_wall_clock = time.perf_counter
_thread_clock = time.thread_time
# How often a cancelled search's statement is interrupted again while its thread
# is still running it: an interrupt finding no statement running (the unit between
# two of them) is ignored by SQLite.
_INTERRUPT_EVERY = 0.005
_QUICK_FIRST = "_recipe_api_quick_first"

_POSTGRES_DRIVERS = {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg2"}

# SQLite statements run on the event loop: waiting longer for another
# process's write lock would stall every request of the worker.
MAX_SQLITE_BUSY_MS = 2000
# SQLSTATE classes that mean "not now" rather than "not this request":
# connection exception, insufficient resources, operator intervention
# (query_canceled by statement_timeout, admin_shutdown by pg_terminate_backend).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})


class DatabaseUnavailableError(ServiceBusyError):
    def __init__(self) -> None:
        super().__init__("The database is unavailable; try again shortly", retry_after=5)


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot serve anyone right now (as opposed to: this request is wrong)."""
    # OSError covers TimeoutError (asyncpg's connect and command timeouts) and
    # ConnectionError (refused, reset), which asyncpg raises untranslated.
    if isinstance(
        exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError | OSError
    ):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(state, str) and state[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    return False


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _is_dead_connection(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


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


# JSON columns (a recipe's ingredients, steps and tags) are decoded by orjson:
# json.loads was a third of a search's time at a thousand recipes (profiled).


def quick_first(fn: Callable[P, T]) -> Callable[P, T]:
    """Mark a bounded unit of work whose time is its SQL statements: no waiting, little Python.

    :meth:`Database.read_bounded` may then run it on the event loop first (see
    ``QUICK_FIRST_STEPS``): SQLite's progress handler stops its statements
    past that. A unit that waits on anything else (a lock, an event)
    must not be marked: nothing would stop it, and the loop would wait with it.
    """
    setattr(fn, _QUICK_FIRST, True)
    return fn


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
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
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


def create_async_db_engine(
    raw_url: str,
    *,
    pool_size: int = 10,
    connect_timeout: float = 5.0,
    statement_timeout_ms: int = 5000,
    pool_timeout: float = 5.0,
) -> AsyncEngine:
    """The asyncpg engine that serves requests on PostgreSQL."""
    # Imported here: SQLite workers never need it, and it costs ~7 MB.
    from sqlalchemy.ext.asyncio import create_async_engine

    url = normalize_url(raw_url).set(drivername="postgresql+asyncpg")
    connect_args = {
        "timeout": connect_timeout,
        # The server cancels a slow statement; the client gives up a little
        # later on a server that stopped answering altogether.
        "server_settings": {"statement_timeout": str(statement_timeout_ms)},
        "command_timeout": statement_timeout_ms / 1000 + 1,
    }
    return create_async_engine(
        url,
        **_server_pool(pool_size, pool_timeout),
        connect_args=connect_args,
        json_deserializer=orjson.loads,
    )


# The extension's function, where the server has it: a search connection's backend
# at a lower priority. PL/pgSQL resolves PERFORM's function when it runs, so one
# round trip serves a server with the extension and one without.
_LOWER_BACKEND_PRIORITY = """
DO $$ BEGIN
  IF to_regprocedure('set_backend_priority(integer, integer)') IS NOT NULL THEN
    PERFORM set_backend_priority(pg_backend_pid(), get_backend_priority(pg_backend_pid()) + {n});
  END IF;
END $$
"""


def _lower_backend_priority(niceness: int, dbapi_connection: Any, _record: object) -> None:
    """A new search connection's backend ``niceness`` lower, when the server can.

    PostgreSQL has no priority of its own: the ``prioritize`` extension
    (packaged as ``postgresql-NN-prioritize``; ``CREATE EXTENSION`` by a
    superuser, migration 0027) lets a role raise its own backends' niceness,
    never lower it again. So only the connections kept for searches are
    lowered (decision 0037). Without the extension, or refused, the backend
    keeps its priority and nothing else changes.
    """
    try:
        dbapi_connection.execute(_LOWER_BACKEND_PRIORITY.format(n=int(niceness)))
        dbapi_connection.commit()
    except Exception:
        dbapi_connection.rollback()
        log.debug("Could not lower a search connection's backend priority", exc_info=True)


def _server_pool(pool_size: int, pool_timeout: float) -> dict[str, Any]:
    """Pool options for a database server: bounded and recycled.

    No ``pool_pre_ping``: on asyncpg it is three round trips (``BEGIN``,
    ``;``, ``ROLLBACK``) before every unit of work. A connection found dead
    instead fails its statement, SQLAlchemy then recycles every connection of
    the pool opened before it, and :meth:`Database.read` runs the read
    once more on a fresh one (a write answers 503: it may have committed).

    Up to ``2 * pool_size`` connections, all kept once opened: overflow
    connections (closed at check-in whenever ``pool_size`` are idle) were
    opened and closed all the time under a steady load of more requests than
    ``pool_size``, and reads went 35-40 % faster without that (decision 0008).
    """
    return {
        "pool_size": 2 * pool_size,
        "max_overflow": 0,
        "pool_timeout": pool_timeout,
        "pool_recycle": 1800,
    }


def create_db_engine(
    raw_url: str,
    *,
    pool_size: int = 10,
    connect_timeout: float = 5.0,
    busy_timeout_ms: int = MAX_SQLITE_BUSY_MS,
    pool_timeout: float = 5.0,
    settings: Mapping[str, str] | None = None,
) -> Engine:
    """The synchronous engine. No statement timeout: a migration may take long.

    ``settings``: PostgreSQL settings each connection starts with.
    """
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, json_deserializer=orjson.loads
        )
        _configure_sqlite(engine, min(busy_timeout_ms, MAX_SQLITE_BUSY_MS))
        return engine
    # libpq counts whole seconds, two at least.
    connect_args: dict[str, Any] = {"connect_timeout": max(2, math.ceil(connect_timeout))}
    if settings:
        connect_args["options"] = " ".join(f"-c {k}={v}" for k, v in settings.items())
    return create_engine(
        url,
        **_server_pool(pool_size, pool_timeout),
        connect_args=connect_args,
        json_deserializer=orjson.loads,
    )


class Database:
    """Owns the engine; runs units of work (see the module docstring)."""

    def __init__(
        self,
        raw_url: str,
        *,
        pool_size: int = 10,
        connect_timeout: float = 5.0,
        statement_timeout_ms: int = 5000,
        pool_timeout: float = 5.0,
        bounded_concurrency: int | None = None,
        search_thread_niceness: int = 10,
        search_process: bool = False,
    ) -> None:
        self.url = normalize_url(raw_url)
        self.inline = self.url.get_backend_name() == "sqlite"
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._statement_timeout_ms = statement_timeout_ms
        self._pool_timeout = pool_timeout
        self.async_engine: AsyncEngine | None = None
        if not self.inline:
            self.async_engine = create_async_db_engine(
                raw_url,
                pool_size=pool_size,
                connect_timeout=connect_timeout,
                statement_timeout_ms=statement_timeout_ms,
                pool_timeout=pool_timeout,
            )
        # Inline units of work never interleave (they do not await), so the
        # event loop's thread can keep one connection instead of a pool
        # checkout per call: 40 of the 110 µs a SQLite read takes.
        self._loop_connection: Connection | None = None
        self._loop_thread: int | None = None
        # run_bounded's queries at once: one core is left for the loop (and,
        # on a one-machine install, the database server).
        self._bounded_concurrency = bounded_concurrency or max(1, (os.cpu_count() or 2) - 1)
        self._bounded_slots: asyncio.Semaphore | None = None
        # Bounded units in this worker, running or waiting for a slot: a
        # quick_first unit tries the loop only when it is the only one, so a read
        # never waits on the loop behind searches taking turns there.
        self._bounded_in_flight = 0
        # The threads of bounded units (SQLite): their own, not anyio's shared
        # ones, each at this niceness, so that the loop's thread (the reads)
        # takes a core from a busy search rather than queueing behind it.
        self._search_thread_niceness = search_thread_niceness
        self._search_threads: ThreadPoolExecutor | None = None
        # Units stopped on the loop (not answered there since): how many more
        # runs go straight to the thread.
        self._too_long: dict[object, int] = {}
        # Or every bounded unit in a child process running all of the above
        # (decision 0038); not for a database only this process can open.
        self.searches: SearchProcess | None = None
        if search_process and self.url.database not in (None, "", ":memory:"):
            self.searches = SearchProcess(
                ChildOptions(
                    url=self.url.render_as_string(hide_password=False),
                    database={
                        "pool_size": self._bounded_concurrency,
                        "connect_timeout": connect_timeout,
                        "statement_timeout_ms": statement_timeout_ms,
                        "pool_timeout": pool_timeout,
                        "bounded_concurrency": self._bounded_concurrency,
                        "search_thread_niceness": search_thread_niceness,
                    },
                )
            )

    @classmethod
    def from_url(cls, raw_url: str, *, pool_size: int = 10) -> Database:
        return cls(raw_url, pool_size=pool_size)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(
            settings.database_url,
            pool_size=settings.db_pool_size,
            connect_timeout=settings.db_connect_timeout,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            pool_timeout=settings.db_pool_timeout,
            bounded_concurrency=settings.search_concurrency,
            search_thread_niceness=settings.search_thread_niceness,
            search_process=settings.search_process,
        )

    @cached_property
    def engine(self) -> Engine:
        """The synchronous engine: every SQLite call; on PostgreSQL, only ``run_sync``.

        Made on first use: a PostgreSQL worker that serves requests never opens
        it (its searches have their own psycopg pool, ``_search_engine``).
        """
        url = self.url.render_as_string(hide_password=False)
        return create_db_engine(
            url,
            pool_size=self._pool_size if self.inline else 1,
            connect_timeout=self._connect_timeout,
            busy_timeout_ms=self._statement_timeout_ms,
            pool_timeout=self._pool_timeout,
        )

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
        """Run ``fn(connection, *args)`` as one transaction that may write; return its result.

        Never run twice. Raises :class:`DatabaseUnavailableError` when the
        database cannot serve it (down, unreachable, too slow, out of connections).
        """
        # try costs nothing until something raises: the hot path is unchanged.
        try:
            if self.inline:
                return self._run_inline(fn, *args, **kwargs)
            assert self.async_engine is not None  # every server URL has one
            async with self.async_engine.begin() as connection:
                return await connection.run_sync(fn, *args, **kwargs)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            raise _unavailable(exc) from exc

    async def read(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(connection, *args)``, which only reads, and return its result.

        Run once more on a fresh connection when its connection was found dead
        (a restarted server, a dropped link): nothing was written, so nothing
        is done twice. Other failures are :meth:`run`'s.
        """
        if self.inline:
            return await self._retried(lambda: self._read_inline(fn, *args, **kwargs))
        return await self._retried(lambda: self._read_async(fn, *args, **kwargs))

    async def read_row(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None
    ) -> Mapping[str, Any] | None:
        """The first row of one read statement, as a mapping; None when there is none.

        See the module docstring: the driver's own statement, compiled once.
        """
        rows = await self.read_statement(statement, params, first=True)
        return rows[0] if rows else None

    async def read_statement(
        self,
        statement: ClauseElement,
        params: Mapping[str, Any] | None = None,
        *,
        first: bool = False,
    ) -> Sequence[Mapping[str, Any]]:
        """The rows of one read statement (just the first with ``first``), as mappings.

        A read: retried once on a dead connection, as :meth:`read` is.
        """
        prepared = self._prepared(statement)
        values = prepared.values(params or {})
        if self.inline:
            rows = self._raw_sqlite_rows(prepared, values, first)
            if rows is not None:
                return rows
            return await self.read(_execute, statement, params, first)
        return await self._retried(lambda: self._raw_asyncpg_rows(prepared, values, first))

    async def _retried(self, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            return await attempt()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            if not _is_dead_connection(exc):
                raise _unavailable(exc) from exc
            log.info("Connection lost under a read; running it again on a fresh one")
        try:
            return await attempt()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            raise _unavailable(exc) from exc

    async def _read_inline(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return self._run_inline(fn, *args, **kwargs)

    async def _read_async(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self._autocommit_engine.connect() as connection:
            return await connection.run_sync(fn, *args, **kwargs)

    @cached_property
    def _autocommit_engine(self) -> AsyncEngine:
        # The same pool; asyncpg sets (and, at check-in, resets) autocommit on the client side.
        assert self.async_engine is not None
        return self.async_engine.execution_options(isolation_level="AUTOCOMMIT")

    def _run_inline(
        self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        connection = self._inline_connection()
        if connection is None:
            return self.run_sync(fn, *args, **kwargs)
        with connection.begin():
            return fn(connection, *args, **kwargs)

    def _inline_connection(self) -> Connection | None:
        """The event loop's own connection (opened on first use); None on another thread."""
        thread = threading.get_ident()
        if self._loop_thread not in (None, thread):
            return None
        connection = self._loop_connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self._loop_connection = self.engine.connect()
            self._loop_thread = thread
        return connection

    def _prepared(self, statement: ClauseElement) -> Prepared:
        return prepare(statement, self.engine.dialect if self.inline else self._async_dialect)

    @cached_property
    def _async_dialect(self) -> Dialect:
        assert self.async_engine is not None
        return self.async_engine.dialect

    def _raw_sqlite_rows(
        self, prepared: Prepared, values: Sequence[Any], first: bool
    ) -> list[Mapping[str, Any]] | None:
        """On the event loop's sqlite3 connection, outside any transaction; None: not here."""
        if self._loop_thread != threading.get_ident():
            return None
        connection = self._loop_connection
        if connection is None or connection.closed or connection.invalidated:
            return None
        raw = connection.connection.dbapi_connection
        try:
            cursor = raw.execute(prepared.sql, values)  # type: ignore[union-attr]
            found = cursor.fetchmany(1) if first else cursor.fetchall()
        except sqlite3.Error:
            return None  # answered by read(), as any unit of work's failure is
        return [prepared.mapping(row) for row in found]

    async def _raw_asyncpg_rows(
        self, prepared: Prepared, values: Sequence[Any], first: bool
    ) -> list[Mapping[str, Any]]:
        """An asyncpg prepared statement (its per-connection cache) on a pooled connection.

        No transaction: one statement, one round trip, and nothing to roll back
        at check-in. The connection comes straight from the engine's pool (in
        a greenlet, as the pool may have to open or wait for one), without an
        ``AsyncConnection`` around it: that wrapper was 40 % of the CPU this
        read costs in-process (decision 0024).
        """
        assert self.async_engine is not None
        pooled = await self._checkout(self.async_engine.sync_engine)
        try:
            raw: Any = pooled.driver_connection
            if first:
                row = await raw.fetchrow(prepared.sql, *values)
                return [] if row is None else [prepared.mapping(row)]
            return [prepared.mapping(row) for row in await raw.fetch(prepared.sql, *values)]
        except Exception as exc:
            raise _translated(self.async_engine, pooled, exc) from exc
        except BaseException:
            # Cancelled mid-statement (the client went away): the protocol is
            # still inside the operation, so the connection never goes back.
            pooled.invalidate()
            raise
        finally:
            # Back to the pool: no transaction was begun, so its reset awaits
            # nothing. An invalidated one went back when it was invalidated.
            if pooled.is_valid:
                pooled.close()

    @staticmethod
    async def _checkout(engine: Engine) -> PoolProxiedConnection:
        """A connection from the engine's pool; in a greenlet only when the pool must await.

        An idle connection is taken without awaiting anything, so it is taken
        directly: the greenlet around a checkout cost 30-40 µs of CPU a read
        (measured, decision 0031). When taking it would await after all (an
        old connection to replace, after ``pool_recycle`` or a pool
        invalidation), the pool raises ``MissingGreenlet`` before awaiting,
        having closed the old connection and put its slot back; the checkout
        is then made in a greenlet, as for an empty pool.
        """
        from sqlalchemy.util import greenlet_spawn

        pool = engine.pool
        if isinstance(pool, QueuePool) and pool.checkedin():
            try:
                return engine.raw_connection()
            except sa_exc.MissingGreenlet:
                pass
        return await greenlet_spawn(engine.raw_connection)

    async def read_bounded(
        self,
        fn: Callable[Concatenate[Connection, P], T],
        time_limit: float,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``read``, for a query that may be slow: stopped after ``time_limit`` seconds.

        At most ``bounded_concurrency`` such queries run at once in this worker;
        the others queue, and the wait counts against ``time_limit``. A query
        that finds no slot in time raises ``ServiceBusyError`` (503).

        On SQLite a unit marked :func:`quick_first`, when it is the only
        bounded unit in flight in this worker, runs on the event loop first,
        its statements stopped by SQLite's progress handler after
        ``QUICK_FIRST_STEPS`` (or ``QUICK_FIRST_SECONDS``); one stopped there,
        not marked, or beside another, runs in a worker thread of its own pool
        (sqlite3 lets go of the GIL while a statement runs), and that
        connection is interrupted when the time is up, or at once when the
        awaiting task is cancelled. On PostgreSQL it runs in the same threads,
        on a psycopg connection kept for searches; the server enforces the
        limit (``statement_timeout``) and a cancelled unit's statement is
        cancelled there. Either way a stopped query raises ``QueryTimeoutError``.
        """
        if self.searches is not None:
            return cast("T", await self.searches.run(fn, time_limit, args, kwargs))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + time_limit
        if self._bounded_slots is None:
            self._bounded_slots = asyncio.Semaphore(self._bounded_concurrency)
        slots = self._bounded_slots
        self._bounded_in_flight += 1
        try:
            if slots.locked():
                try:
                    await asyncio.wait_for(slots.acquire(), time_limit)
                except TimeoutError:
                    raise ServiceBusyError(_TOO_BUSY, retry_after=1) from None
            else:
                # Free: no waiting task to create (wait_for costs one).
                await slots.acquire()
            try:
                return await self._read_bounded_in_slot(deadline, fn, *args, **kwargs)
            finally:
                slots.release()
        finally:
            self._bounded_in_flight -= 1

    async def _read_bounded_in_slot(
        self,
        deadline: float,
        fn: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        loop = asyncio.get_running_loop()
        remaining = max(deadline - loop.time(), 0.001)
        if not self.inline:
            return await self._run_in_server_thread(fn, remaining, *args, **kwargs)
        # Alone: on the loop first. Beside another bounded unit (running in a
        # thread, or waiting for its slot), straight to the thread: two searches
        # taking turns on the loop would hold every read behind them.
        if (
            self._bounded_in_flight == 1
            and getattr(fn, _QUICK_FIRST, False)
            and self._quick_turn(unit := (fn, args))
        ):
            done, found = self._run_quick(min(remaining, QUICK_FIRST_SECONDS), fn, *args, **kwargs)
            if done:
                if self._too_long:
                    self._too_long.pop(unit, None)
                return cast("T", found)
            self._remember_too_long(unit)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise QueryTimeoutError()
        return await self._run_in_thread(fn, remaining, *args, **kwargs)

    def _quick_turn(self, unit: object) -> bool:
        """Whether ``unit`` is tried on the loop this time (not stopped there lately)."""
        try:
            skips = self._too_long.get(unit, 0)
        except TypeError:  # arguments that are no key: always tried
            return True
        if skips:
            self._too_long[unit] = skips - 1
            return False
        return True

    def _remember_too_long(self, unit: object) -> None:
        """``unit`` was stopped on the loop: once, a strike (0); again, ``QUICK_FIRST_SKIPS``."""
        try:
            stopped_before = self._too_long.pop(unit, None) is not None
            if len(self._too_long) >= _QUICK_FIRST_REMEMBERED:
                del self._too_long[next(iter(self._too_long))]
            self._too_long[unit] = QUICK_FIRST_SKIPS if stopped_before else 0
        except TypeError:
            pass

    def _run_quick(
        self,
        seconds: float,
        fn: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> tuple[bool, T | None]:
        """``fn`` on the loop's connection, stopped after ``seconds`` or ``QUICK_FIRST_STEPS``.

        ``seconds`` by the clock and of the thread's CPU time both: a unit
        whose thread waited for a core meanwhile is not stopped for it.
        ``(True, result)``, or ``(False, None)`` when it was stopped (nothing was
        written: it is a read) or when this is not the loop's thread.
        """
        connection = self._inline_connection()
        if connection is None:
            return False, None
        raw = connection.connection.dbapi_connection
        assert raw is not None
        until = _wall_clock() + seconds
        cpu_until = _thread_clock() + seconds
        calls = iter(range(QUICK_FIRST_STEPS // _PROGRESS_STEPS))

        def past() -> bool:
            if next(calls, None) is None:
                return True
            return _wall_clock() > until and _thread_clock() > cpu_until

        raw.set_progress_handler(past, _PROGRESS_STEPS)
        try:
            with connection.begin():
                return True, fn(connection, *args, **kwargs)
        except Exception as exc:
            # As in the thread: a database that cannot serve is a 503.
            if isinstance(exc, OperationalError | sqlite3.OperationalError) and _interrupted(exc):
                return False, None
            if not is_unavailable(exc):
                raise
            raise DatabaseUnavailableError() from exc
        finally:
            raw.set_progress_handler(None, 0)

    async def _run_in_thread(
        self,
        fn: Callable[Concatenate[Connection, P], T],
        time_limit: float,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        try:
            connection = self.engine.connect()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            raise DatabaseUnavailableError() from exc
        raw = connection.connection.dbapi_connection
        assert raw is not None
        loop = asyncio.get_running_loop()
        # The loop is free while the thread works: it stops the query when the
        # time is up (interrupt() may be called from any thread; a timer
        # thread per search cost more than the search at 1,000 rows).
        timer = loop.call_later(time_limit, raw.interrupt)
        done = asyncio.wrap_future(
            self._threads().submit(
                lambda: self._run_interruptible(connection, fn, *args, **kwargs)
            ),
            loop=loop,
        )
        try:
            # Shielded: cancelled (the client went away), the unit is stopped
            # now rather than at the time limit, and waited for, so that its
            # connection and its slot are not taken again mid-statement.
            try:
                return await asyncio.shield(done)
            except asyncio.CancelledError:
                await _interrupt_until_done(raw, done)
                raise
        except QueryTimeoutError:
            raise
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            raise DatabaseUnavailableError() from exc
        finally:
            timer.cancel()

    def _threads(self) -> ThreadPoolExecutor:
        if self._search_threads is None:
            self._search_threads = ThreadPoolExecutor(
                max_workers=self._bounded_concurrency,
                thread_name_prefix="bounded-read",
                initializer=_lower_priority,
                initargs=(self._search_thread_niceness,),
            )
        return self._search_threads

    async def _run_in_server_thread(
        self,
        fn: Callable[Concatenate[Connection, P], T],
        time_limit: float,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A bounded unit on PostgreSQL: in a search thread, on a search connection.

        As on SQLite: the unit's Python (building its statements, reading its
        rows) runs in a thread of lower priority, not on the event loop, where
        it held every read behind it for 1-2 ms a search (decision 0037). The
        server stops a statement past the time limit (the connection's
        ``statement_timeout``); a unit whose request is cancelled is cancelled
        on the server at once, and waited for.
        """
        milliseconds = _timeout_ms(time_limit)
        loop = asyncio.get_running_loop()

        async def attempt() -> T:
            unit = _ServerUnit()
            done = asyncio.wrap_future(
                self._threads().submit(
                    lambda: unit.run(self._search_engine, milliseconds, fn, *args, **kwargs)
                ),
                loop=loop,
            )
            try:
                return await asyncio.shield(done)
            except asyncio.CancelledError:
                if unit.stop():
                    with contextlib.suppress(Exception):
                        await loop.run_in_executor(None, unit.cancel)
                await _until_done(done)
                raise

        try:
            return await self._retried(attempt)
        except DatabaseUnavailableError as exc:
            cause = exc.__cause__
            if isinstance(cause, DBAPIError) and _sqlstate(cause) == "57014":  # query_canceled
                raise QueryTimeoutError() from cause
            raise

    @cached_property
    def _search_engine(self) -> Engine:
        """Bounded units' own connections (PostgreSQL, psycopg), one per search slot.

        In autocommit (a read sees what it would in a transaction: READ
        COMMITTED gives each statement its own snapshot), their settings made
        once when opened (``_BOUNDED_SETTINGS``), their backends
        ``search_thread_niceness`` lower where the server allows it
        (:func:`_lower_backend_priority`): a lowered backend never gets its
        priority back, so it is never lent to a read.
        """
        # Connections are opened as units need them: at most one per slot.
        engine = create_db_engine(
            self.url.render_as_string(hide_password=False),
            pool_size=self._bounded_concurrency,
            connect_timeout=self._connect_timeout,
            pool_timeout=self._pool_timeout,
            settings=_BOUNDED_SETTINGS,
        )
        if self._search_thread_niceness > 0:
            lower = partial(_lower_backend_priority, self._search_thread_niceness)
            event.listen(engine, "connect", lower)
        return engine.execution_options(isolation_level="AUTOCOMMIT")

    @staticmethod
    def _run_interruptible(
        connection: Connection,
        fn: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with connection:
            try:
                with connection.begin():
                    return fn(connection, *args, **kwargs)
            except (OperationalError, sqlite3.OperationalError) as exc:
                if _interrupted(exc):
                    raise QueryTimeoutError() from exc
                raise

    async def ping(self) -> None:
        def _select_one(connection: Connection) -> None:
            connection.execute(text("SELECT 1"))

        await self.read(_select_one)

    def dispose(self) -> None:
        """Close the synchronous side; ``aclose`` closes everything."""
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        if self._search_threads is not None:
            # Their units were interrupted or waited for by their requests.
            self._search_threads.shutdown(wait=False)
            self._search_threads = None
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "_search_engine" in self.__dict__:
            self._search_engine.dispose()

    async def aclose(self) -> None:
        if self.searches is not None:
            await self.searches.aclose()
        self.dispose()
        if self.async_engine is not None:
            await self.async_engine.dispose()


def _execute(
    connection: Connection, statement: ClauseElement, params: Mapping[str, Any] | None, first: bool
) -> list[Mapping[str, Any]]:
    result = connection.execute(statement, params).mappings()  # type: ignore[call-overload]
    return [row for row in (result.fetchmany(1) if first else result.all())]


def _interrupted(exc: OperationalError | sqlite3.OperationalError) -> bool:
    """A SQLite statement stopped by ``interrupt()`` or the progress handler.

    Raw: a row fetched from a sqlite3 cursor (a statement steps as it is read).
    """
    return "interrupted" in str(exc.orig if isinstance(exc, OperationalError) else exc)


async def _interrupt_until_done(raw: Any, done: asyncio.Future[Any]) -> None:
    """Interrupt ``raw``'s statements until the unit running them in a thread has returned.

    Again and again: an interrupt that finds no statement running (the unit is
    between two) is ignored, and the unit's next statement would run in full.
    """
    await _until_done(done, raw.interrupt)


async def _until_done(
    done: asyncio.Future[Any], meanwhile: Callable[[], object] | None = None
) -> None:
    """Wait for a cancelled request's unit to return (``meanwhile`` called every few ms).

    The awaiting task was cancelled: each wait may be cancelled again, and is
    simply waited again. The unit's exception is retrieved, not logged as lost.
    """
    while not done.done():
        if meanwhile is not None:
            meanwhile()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait((done,), timeout=None if meanwhile is None else _INTERRUPT_EVERY)
    if not done.cancelled():
        done.exception()


class _ServerUnit:
    """A bounded unit running in a thread on a PostgreSQL connection, and its stop.

    The loop may cancel its statement (``stop``, then ``cancel``) only while it
    runs: once it has returned, its connection may serve the next unit, which
    a late cancel request would stop instead. So both sides take the lock: a
    unit finishing after ``stop`` discards its connection.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: Any = None
        self._finished = False
        self._stopped = False

    def run(
        self,
        engine: Engine,
        milliseconds: int,
        fn: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with engine.connect() as connection:
            try:
                with self._lock:
                    self._raw = connection.connection.dbapi_connection
                info = connection.connection.info
                if info.get(_TIMEOUT_SET) != milliseconds:
                    connection.exec_driver_sql(f"SET statement_timeout = {milliseconds}")
                    info[_TIMEOUT_SET] = milliseconds
                return fn(connection, *args, **kwargs)
            finally:
                with self._lock:
                    self._finished = True
                    if self._stopped:
                        connection.invalidate()

    def stop(self) -> bool:
        """Marks the unit stopped; whether it is still running (and may be cancelled)."""
        with self._lock:
            self._stopped = True
            return self._raw is not None and not self._finished

    def cancel(self) -> None:
        """The running statement cancelled on the server (a blocking call: in a thread)."""
        self._raw.cancel()


def _timeout_ms(seconds: float) -> int:
    """``seconds`` in milliseconds, down to two significant digits (at least 1).

    A unit that did not wait for its slot has a little less than the whole
    time limit left, a different microsecond every time: rounded, it is the
    same number, and the connection's statement_timeout is not set again.
    """
    milliseconds = max(1, int(seconds * 1000))
    step: int = 10 ** max(0, len(str(milliseconds)) - 2)
    return milliseconds // step * step


def _lower_priority(niceness: int) -> None:
    """This thread's niceness raised by ``niceness`` (Linux: per thread); 0: unchanged.

    Where not permitted or not supported, the thread keeps its priority.
    """
    if niceness <= 0:
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + niceness)
    except (AttributeError, OSError):
        log.debug("Could not lower a search thread's priority", exc_info=True)


def _unavailable(exc: Exception) -> DatabaseUnavailableError:
    log.warning("Database unavailable: %s: %s", type(exc).__name__, exc)
    return DatabaseUnavailableError()


def _translated(engine: AsyncEngine, pooled: PoolProxiedConnection, exc: Exception) -> Exception:
    """A raw asyncpg failure as SQLAlchemy would have raised it.

    A dead connection is treated as SQLAlchemy treats one: invalidated, and so is
    every connection of the pool opened before it (a restarted server killed them all).
    """
    import asyncpg

    dead = isinstance(
        exc,
        asyncpg.InterfaceError
        | asyncpg.InternalClientError
        | asyncpg.PostgresConnectionError
        | OSError,
    )
    if dead:
        engine.sync_engine.pool._invalidate(pooled, exc)
    if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError) or dead:
        error = DBAPIError(None, None, exc, connection_invalidated=dead)
        return error
    return exc


# A checkout without a greenlet that finds it must connect (``Database._checkout``)
# raises MissingGreenlet, and SQLAlchemy closes the connect coroutine it had made
# without awaiting it, which Python reports; that connect is made again in a greenlet.
warnings.filterwarnings(
    "ignore",
    message="coroutine 'connect' was never awaited",
    category=RuntimeWarning,
    module="sqlalchemy.util.concurrency",
)

# Statements compiled for a driver, once per process (the statements are module constants).
_PREPARED: dict[tuple[ClauseElement, str], Prepared] = {}


def prepare(statement: ClauseElement, dialect: Dialect) -> Prepared:
    """``statement`` compiled for ``dialect``'s driver: once per process, then looked up."""
    key = (statement, dialect.driver)
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = Prepared.compile(statement, dialect)
    return prepared


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement compiled once for a driver: its SQL, bind order and column processors.

    Simple statements only (no expanding ``IN``): what :meth:`Database.read_row`
    and a unit of work's hottest statements run on the driver's own connection.
    """

    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    constants: Mapping[str, Any]
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: ClauseElement, dialect: Dialect) -> Prepared:
        compiled = cast("SQLCompiler", statement.compile(dialect=dialect))
        if compiled.positiontup is None:  # pragma: no cover - both drivers are positional
            raise TypeError(f"{dialect.name}: a positional paramstyle was expected")
        bind_processors: Mapping[str, Any] = compiled._bind_processors
        names = tuple(compiled.positiontup)
        columns = compiled._result_columns
        return cls(
            sql=compiled.string,
            binds=tuple((name, bind_processors.get(name)) for name in names),
            constants={name: compiled.binds[name].effective_value for name in names},
            keys=tuple(column.keyname for column in columns),
            processors=tuple(
                column.type._cached_result_processor(dialect, None) for column in columns
            ),
        )

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process in self.binds:
            value = params[name] if name in params else self.constants[name]
            values.append(value if process is None else process(value))
        return values

    def mapping(self, row: Sequence[Any]) -> dict[str, Any]:
        return {
            key: value if process is None else process(value)
            for key, value, process in zip(self.keys, row, self.processors, strict=True)
        }
