"""A query that may be slow runs bounded in time, and never holds the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import Connection, text

from recipe_api.db.engine import Database, quick_first
from recipe_api.errors import QueryTimeoutError

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
    # A few steps: answered on the loop's own thread.
    assert await db.read_bounded(count_to, 5.0, 10) == (loop_thread, 10)
    # Past the steps allowed on the loop: stopped there, answered in full from a thread.
    thread, found = await db.read_bounded(count_to, 5.0, 300_000)
    assert (thread != loop_thread, found) == (True, 300_000)
    assert runs == [10, 300_000, 300_000]  # tried on the loop, then in full
    # Stopped once may be chance (the loop waited for a core): tried on the loop again.
    assert (await db.read_bounded(count_to, 5.0, 300_000))[1] == 300_000
    assert runs[3:] == [300_000, 300_000]
    # Stopped twice in a row: straight to the thread, not tried on the loop first.
    thread, found = await db.read_bounded(count_to, 5.0, 300_000)
    assert (thread != loop_thread, found, runs[5:]) == (True, 300_000, [300_000])
