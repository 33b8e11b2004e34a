"""A query that may be slow runs bounded in time, and never holds the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import Connection, text

from recipe_api.db.engine import Database
from recipe_api.errors import QueryTimeoutError

# Seconds of work on each backend, far past the limit below.
_SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT count(*) FROM (SELECT i FROM n LIMIT 2000000000)",
    "postgresql": "SELECT pg_sleep(30)",
}


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
async def test_a_slow_query_is_stopped_while_the_loop_runs_on(db: Database) -> None:
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
            await db.read_bounded(slow, 0.3)
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
