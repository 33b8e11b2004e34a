"""A query that may be slow runs bounded in time, and never holds the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from sqlalchemy import Connection, text

from recipe_api.db import engine
from recipe_api.db.engine import Database, quick_first
from recipe_api.errors import QueryTimeoutError
from tests.conftest import skip_or_fail

# Seconds of work on each backend, far past the limit below.
_SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT count(*) FROM (SELECT i FROM n LIMIT 2000000000)",
    "postgresql": "SELECT pg_sleep(30)",
}


# Marked quick_first, it runs on the event loop first: it must leave the loop
# and still be stopped.
@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
@pytest.mark.parametrize("loop_first", [False, True], ids=["thread", "loop first"])
async def test_a_slow_query_is_stopped_while_the_loop_runs_on(
    db: Database, loop_first: bool
) -> None:
    def slow(connection: Connection) -> int:
        return int(connection.execute(text(_SLOW[connection.dialect.name])).scalar_one())

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    try:
        with pytest.raises(QueryTimeoutError) as stopped:
            await db.read_bounded(quick_first(slow) if loop_first else slow, 0.3)
    finally:
        ticker.cancel()
    elapsed = time.monotonic() - started
    assert 0.25 < elapsed < 5
    assert stopped.value.status_code == 503
    # The loop kept turning while the query ran (inline it would have been frozen).
    assert ticks >= 10
    # And the database still serves afterwards.
    assert await db.read_bounded(lambda c: c.execute(text("SELECT 1")).scalar_one(), 1.0) == 1


async def test_a_quick_query_is_not_stopped(db: Database) -> None:
    def quick(connection: Connection) -> int:
        return int(connection.execute(text("SELECT 41 + 1")).scalar_one())

    for _ in range(20):
        assert await db.read_bounded(quick, 0.5) == 42


# SQLite only: its statements run on the event loop; PostgreSQL's are awaited.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_quick_first_query_runs_on_the_loop_until_it_is_too_long(db: Database) -> None:

    runs = []

    @quick_first
    def count_to(connection: Connection, n: int) -> tuple[int, int]:
        runs.append(n)
        found = connection.execute(
            text(
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n)"
                " SELECT count(*) FROM c"
            ),
            {"n": n},
        ).scalar_one()
        return threading.get_ident(), int(found)

    loop_thread = threading.get_ident()
    # Which thread answers, not how fast: the search threads run at niceness 10,
    # and beside the parallel tests' workers a 5 s limit on the full count was
    # reached (interrupted) once in CI.
    limit = 120.0
    # A few steps: answered on the loop's own thread.
    assert await db.read_bounded(count_to, limit, 10) == (loop_thread, 10)
    # Past the steps allowed on the loop: stopped there, answered in full from a thread.
    thread, found = await db.read_bounded(count_to, limit, 300_000)
    assert (thread != loop_thread, found) == (True, 300_000)
    assert runs == [10, 300_000, 300_000]  # tried on the loop, then in full
    # Stopped once may be chance (the loop waited for a core): tried on the loop again.
    assert (await db.read_bounded(count_to, limit, 300_000))[1] == 300_000
    assert runs[3:] == [300_000, 300_000]
    # Stopped twice in a row: straight to the thread, not tried on the loop first.
    thread, found = await db.read_bounded(count_to, limit, 300_000)
    assert (thread != loop_thread, found, runs[5:]) == (True, 300_000, [300_000])


_COUNT_TO = (
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n)"
    " SELECT count(*) FROM c"
)


@quick_first
def _answered_on(connection: Connection, n: int = 1) -> tuple[int, int]:
    """Which thread answered, and the count (of ``n``)."""
    return threading.get_ident(), int(connection.execute(text(_COUNT_TO), {"n": n}).scalar_one())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_cancelled_bounded_read_is_interrupted_and_waited_for(db: Database) -> None:
    # A client that went away must not leave its search running until the time
    # limit (a core taken from everyone), nor its connection mid-statement.
    started = threading.Event()
    ended: list[str] = []

    def slow(connection: Connection) -> int:
        started.set()
        try:
            # Seconds of work (10 on this machine under load for 30 million).
            found = int(connection.execute(text(_COUNT_TO), {"n": 10_000_000}).scalar_one())
        except Exception as exc:
            ended.append(str(exc))
            raise
        ended.append(f"counted {found}")
        return found

    checked_out = db.engine.pool.checkedout()  # type: ignore[attr-defined]
    search = asyncio.create_task(db.read_bounded(slow, 600.0))
    assert await asyncio.to_thread(started.wait, 10)
    search.cancel()
    with pytest.raises(asyncio.CancelledError):
        await search
    # Done by the time the cancelled search is: interrupted, not counted in full.
    assert len(ended) == 1
    assert "interrupted" in ended[0]
    assert db.engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]
    # The slot is free again, and the database serves.
    assert (await db.read_bounded(_answered_on, 5.0, 3))[1] == 3


class _Hold:
    """A bounded unit that holds its slot (in a thread) until ``lifted`` is set."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.lifted = threading.Event()

    def __call__(self, connection: Connection) -> None:
        self.started.set()
        self.lifted.wait(30)


def _holder() -> tuple[threading.Event, threading.Event, _Hold]:
    hold = _Hold()
    return hold.started, hold.lifted, hold


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_quick_first_read_goes_to_a_thread_beside_another_bounded_read(
    database_url: str,
) -> None:
    # Two searches taking turns on the loop would hold every read behind them.
    db = Database(database_url, bounded_concurrency=2)
    started, lifted, hold = _holder()
    loop_thread = threading.get_ident()
    try:
        assert (await db.read_bounded(_answered_on, 5.0))[0] == loop_thread  # alone
        holding = asyncio.create_task(db.read_bounded(hold, 30.0))
        assert await asyncio.to_thread(started.wait, 10)
        assert (await db.read_bounded(_answered_on, 5.0))[0] != loop_thread
        lifted.set()
        await holding
        assert (await db.read_bounded(_answered_on, 5.0))[0] == loop_thread  # alone again
    finally:
        lifted.set()
        db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_quick_first_read_waiting_beside_another_goes_to_a_thread(
    database_url: str,
) -> None:
    # One slot: the first of two waiting reads runs while the other still waits
    # (in a thread), the last one alone (on the loop).
    db = Database(database_url, bounded_concurrency=1)
    started, lifted, hold = _holder()
    loop_thread = threading.get_ident()
    try:
        holding = asyncio.create_task(db.read_bounded(hold, 30.0))
        assert await asyncio.to_thread(started.wait, 10)
        first = asyncio.create_task(db.read_bounded(_answered_on, 30.0))
        last = asyncio.create_task(db.read_bounded(_answered_on, 30.0))
        await asyncio.sleep(0)
        lifted.set()
        await holding
        assert ((await first)[0] != loop_thread, (await last)[0] == loop_thread) == (True, True)
    finally:
        lifted.set()
        db.dispose()


class _Clock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("cpu_past", [False, True], ids=["paused", "working"])
async def test_a_quick_first_read_is_stopped_by_its_own_time_not_the_clocks(
    db: Database, monkeypatch: pytest.MonkeyPatch, cpu_past: bool
) -> None:
    # The clock passes the bound at every progress call (a loop that waited for
    # a core); the thread's own CPU time decides: a paused unit stays on the loop,
    # one that worked that long leaves it.
    monkeypatch.setattr(engine, "_wall_clock", _Clock(1.0))
    if cpu_past:
        monkeypatch.setattr(engine, "_thread_clock", _Clock(1.0))
    # 300 rows: about 5,000 steps, so five progress calls and fewer than the steps allowed.
    thread, found = await db.read_bounded(_answered_on, 5.0, 300)
    assert found == 300
    assert (thread == threading.get_ident()) is not cpu_past


def _niceness(connection: Connection) -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priority here")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("niceness", [0, 5])
async def test_bounded_reads_run_in_threads_of_lower_priority(
    database_url: str, niceness: int
) -> None:
    # The loop's thread (the reads) takes a core before a busy search.
    db = Database(database_url, search_thread_niceness=niceness)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    try:
        assert await db.read_bounded(_niceness, 5.0) == min(19, own + niceness)
        # This thread's own priority is untouched.
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own
    finally:
        db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_priority_the_system_refuses_to_lower_fails_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: int) -> None:
        raise PermissionError("not permitted")

    monkeypatch.setattr(os, "setpriority", refused)
    db = Database(database_url, search_thread_niceness=10)
    try:
        assert (await db.read_bounded(lambda c: c.execute(text("SELECT 7")).scalar_one(), 5.0)) == 7
    finally:
        db.dispose()


def _backend(connection: Connection) -> tuple[int, int]:
    """This connection's backend: its process id and its niceness."""
    pid, niceness = connection.execute(
        text("SELECT pg_backend_pid(), get_backend_priority(pg_backend_pid())")
    ).one()
    return int(pid), int(niceness)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("niceness", [0, 5])
async def test_search_backends_run_at_a_lower_priority_and_are_never_lent_to_reads(
    database_url: str, niceness: int
) -> None:
    # A read then takes a core from a busy search's backend (decision 0037).
    db = Database(database_url, search_thread_niceness=niceness)
    try:
        if not await db.read(lambda c: _has_prioritize(c)):
            skip_or_fail("PostgreSQL has no prioritize extension (postgresql-NN-prioritize)")
        read_pid, read_niceness = await db.read(_backend)
        search_pid, search_niceness = await db.read_bounded(_backend, 5.0)
        assert search_niceness == min(19, read_niceness + niceness)
        # Its own connection: the next search has it again, no read ever does.
        assert await db.read_bounded(_backend, 5.0) == (search_pid, search_niceness)
        assert search_pid != read_pid
        assert await db.read(_backend) == (read_pid, read_niceness)
    finally:
        await db.aclose()


def _has_prioritize(connection: Connection) -> bool:
    return bool(
        connection.execute(
            text("SELECT to_regprocedure('set_backend_priority(integer, integer)') IS NOT NULL")
        ).scalar_one()
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_server_without_prioritize_runs_searches_as_before(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a server without the extension answers: the function is not there.
    monkeypatch.setattr(
        engine, "_LOWER_BACKEND_PRIORITY", "SELECT no_such_function(pg_backend_pid())"
    )
    db = Database(database_url, search_thread_niceness=10)
    try:
        assert await db.read_bounded(lambda c: c.execute(text("SELECT 7")).scalar_one(), 5.0) == 7
    finally:
        await db.aclose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_search_connection_is_lowered_outside_any_transaction(database_url: str) -> None:
    import psycopg

    db = Database(database_url, search_thread_niceness=5)

    def status(connection: Connection) -> object:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        return raw.info.transaction_status

    try:
        # Autocommit: the unit's statements each their own, no transaction left open.
        assert await db.read_bounded(status, 5.0) == psycopg.pq.TransactionStatus.IDLE
        assert await db.read_bounded(_backend, 5.0) and (
            await db.read_bounded(status, 5.0) == psycopg.pq.TransactionStatus.IDLE
        )
    finally:
        await db.aclose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_cancelled_search_is_cancelled_on_the_server(db: Database) -> None:
    # As on SQLite: a client that went away leaves no statement running on the
    # server until the time limit, and its slot and connection are free again.
    started = threading.Event()
    ended: list[str] = []

    def slow(connection: Connection) -> None:
        started.set()
        try:
            connection.execute(text("SELECT pg_sleep(30)"))
        except Exception as exc:
            ended.append(str(exc))
            raise
        ended.append("slept")

    search = asyncio.create_task(db.read_bounded(slow, 600.0))
    assert await asyncio.to_thread(started.wait, 10)
    await asyncio.sleep(0.1)  # the statement on the server
    began = time.monotonic()
    search.cancel()
    with pytest.raises(asyncio.CancelledError):
        await search
    assert time.monotonic() - began < 5
    assert len(ended) == 1 and "canceling statement" in ended[0], ended
    assert db._search_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # The slot is free again, and the searches' connections serve.
    assert await db.read_bounded(lambda c: c.execute(text("SELECT 3")).scalar_one(), 5.0) == 3


@pytest.mark.parametrize(
    ("seconds", "milliseconds"),
    [(1.0, 1000), (0.99987, 990), (5.0, 5000), (0.2499, 240), (0.0123, 12), (0.0001, 1)],
)
def test_a_time_limit_is_rounded_down_to_two_digits(seconds: float, milliseconds: int) -> None:
    assert engine._timeout_ms(seconds) == milliseconds
