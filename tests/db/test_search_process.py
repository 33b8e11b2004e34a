"""The worker's searches run in a process of its own: answers, errors, limits, cancels, a death.

The units here are this module's functions: the child unpickles them by name.
What the child runs them with (slots, time limits, threads, the cancel of a
unit) is tested in this process by tests/db/test_bounded.py.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import signal
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, text

from recipe_api.db import search_process
from recipe_api.db.engine import Database, DatabaseUnavailableError
from recipe_api.errors import (
    AppError,
    NotFoundError,
    QueryTimeoutError,
    ServiceBusyError,
    TooManyAttemptsError,
)
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.db import search_units as units


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # As shipped (the suite's other tests search in their own process); one slot:
    # a unit left running would hold the next one back.
    return settings.model_copy(update={"search_process": True, "search_concurrency": 1})


async def _started(marker: Path) -> None:
    for _ in range(500):
        if os.path.exists(marker):  # noqa: ASYNC240 - a stat, no wait worth a thread
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the unit never started")


async def test_searches_run_in_a_process_of_their_own(
    client: httpx.AsyncClient, db: Database, superuser: object
) -> None:
    assert db.searches is not None
    pid, found = await db.read_bounded(units.where, 5.0, 41)
    assert found == 42
    assert pid != os.getpid()
    assert pid == db.searches.pid
    # The API's search answers through it, as in the worker.
    answer = await client.get("/api/v1/recipes/search/", params={"keyword": "chicken"})
    assert answer.status_code == 200, answer.text
    assert [r["label"] for r in answer.json()["results"]] == [
        "Chicken Paprikash",
        "Chicken Vesuvio",
    ]
    # And the website's.
    page = await client.get("/search", params={"q": "paprika chicken"})
    assert page.status_code == 200
    assert "Chicken Paprikash" in page.text
    # Still the same child.
    assert (await db.read_bounded(units.where, 5.0, 1))[0] == pid


async def test_a_units_error_reaches_the_worker_as_it_was(db: Database) -> None:
    with pytest.raises(ServiceBusyError) as busy:
        await db.read_bounded(units.fails, 5.0, "busy")
    assert (busy.value.detail, busy.value.retry_after) == ("Busy here", 7)
    assert busy.value.headers == {"Retry-After": "7"}
    with pytest.raises(ValueError, match="a bad value"):
        await db.read_bounded(units.fails, 5.0, "value")
    # One that cannot cross: its words do, as an error of this process.
    with pytest.raises(RuntimeError, match="Unpicklable"):
        await db.read_bounded(units.fails, 5.0, "unpicklable")
    # The child serves on.
    assert (await db.read_bounded(units.where, 5.0, 1))[1] == 2


@pytest.mark.parametrize(
    "error",
    [
        ServiceBusyError("Too many", retry_after=3),
        TooManyAttemptsError("Slow down", retry_after=60),
        QueryTimeoutError("Too long"),
        DatabaseUnavailableError(),
        NotFoundError("No such recipe", headers={"X-Thing": "1"}),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_app_error_pickles_whole(error: AppError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert again.__dict__ == error.__dict__
    assert again.args == error.args
    assert again.status_code == error.status_code


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
async def test_a_slow_search_is_stopped_at_its_limit(db: Database, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError) as stopped:
        await db.read_bounded(units.slow, 0.3, str(tmp_path / "started"))
    assert 0.25 < time.monotonic() - started < 5
    assert stopped.value.status_code == 503
    assert stopped.value.headers == {"Retry-After": "1"}
    # The one slot is free again.
    assert (await db.read_bounded(units.where, 5.0, 2))[1] == 3


async def test_a_cancelled_search_is_stopped_in_the_child(db: Database, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    search = asyncio.create_task(db.read_bounded(units.slow, 600.0, str(marker)))
    await _started(marker)
    await asyncio.sleep(0.1)  # the statement running
    search.cancel()
    with pytest.raises(asyncio.CancelledError):
        await search
    # The child stopped it: the one slot serves the next unit well within its
    # limit (left running, the unit would hold it for minutes: a 503 at 10 s).
    began = time.monotonic()
    assert (await db.read_bounded(units.where, 10.0, 4))[1] == 5
    assert time.monotonic() - began < 10
    if db.backend == "postgresql":
        assert await db.read(_sleeping) == 0


def _sleeping(connection: Connection) -> int:
    found = connection.execute(
        text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")
    )
    return int(found.scalar_one())


async def test_a_child_that_does_not_answer_in_time_is_a_503(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_process, "GRACE", 0.3)
    await db.read_bounded(units.where, 30.0, 0)  # the child ready (its start is not timed)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError) as stopped:
        await db.read_bounded(units.stuck, 0.2, 2.0)
    assert time.monotonic() - started < 1.5
    assert stopped.value.status_code == 503
    # Once the child is free again, it answers.
    assert (await db.read_bounded(units.where, 10.0, 6))[1] == 7


async def test_a_search_process_that_dies_fails_its_searches_and_is_started_again(
    client: httpx.AsyncClient, db: Database, tmp_path: Path, superuser: object
) -> None:
    assert db.searches is not None
    marker = tmp_path / "started"
    search = asyncio.create_task(db.read_bounded(units.slow, 600.0, str(marker)))
    await _started(marker)
    pid = db.searches.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(ServiceBusyError) as stopped:
        await asyncio.wait_for(search, 10)
    assert stopped.value.status_code == 503
    assert "try again" in stopped.value.detail
    # The next search starts another child, and is answered.
    answer = await client.get("/api/v1/recipes/search/", params={"keyword": "vesuvio"})
    assert answer.status_code == 200, answer.text
    assert [r["label"] for r in answer.json()["results"]] == ["Chicken Vesuvio"]
    assert db.searches.pid not in (None, pid)


async def test_a_search_beside_a_full_process_waits_its_limit_then_is_503(
    client: httpx.AsyncClient, db: Database, tmp_path: Path, superuser: object
) -> None:
    marker = tmp_path / "started"
    holder = asyncio.create_task(db.read_bounded(units.slow, 600.0, str(marker)))
    try:
        await _started(marker)
        response = await client.get("/api/v1/recipes/search/", params={"keyword": "chicken"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert "try again" in response.json()["detail"]
    finally:
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
    response = await client.get("/api/v1/recipes/search/", params={"keyword": "chicken"})
    assert response.status_code == 200, response.text


async def test_the_search_process_ends_with_the_app(settings: Settings) -> None:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        db: Database = app.state.db
        assert db.searches is not None
        pid, _ = await db.read_bounded(units.where, 5.0, 0)
        os.kill(pid, 0)  # running
    for _ in range(100):  # ended, and reaped by the app
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the search process {pid} outlived the app")


def test_a_database_only_this_process_can_open_keeps_its_searches_here() -> None:
    db = Database("sqlite://", search_process=True)
    assert db.searches is None


async def test_an_app_stops_at_once_while_its_search_process_is_starting(
    settings: Settings,
) -> None:
    db = Database.from_settings(settings)
    assert db.searches is not None
    db.searches.start_soon("tests.db.slow_start")  # a child that is never ready
    for _ in range(200):  # spawned (its pid is not yet the searches' own: not ready)
        starting = [p for p in multiprocessing.active_children() if p.name == "recipe-api-search"]
        if starting and starting[0].pid is not None:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("no search process was started")
    pid = starting[0].pid
    assert db.searches.pid is None
    started = time.monotonic()
    await db.aclose()
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)
    with pytest.raises(ServiceBusyError):  # and no child starts after
        await db.read_bounded(units.where, 5.0, 0)
