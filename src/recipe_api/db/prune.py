"""Housekeeping: deletes the rows nothing will read again, so the database does not only grow.

Each domain says what of its own goes, as :class:`PruneTask` s in its
``tasks.py`` (``auth/tasks.py``: expired web sessions and account tokens;
``email/tasks.py``: old sent and dropped emails); ``recipe_api/tasks.py`` lists
them. This module knows no domain: it runs the tasks it is given.

Each kind goes in batches of at most ``PRUNE_BATCH_SIZE`` rows, one short
transaction each, found through an index (see the repositories), with a pause
between batches: neither PostgreSQL's row locks nor SQLite's one write lock are
held for long, and on SQLite other workers' writes get their turn.

Every worker runs a :class:`Pruner` (started and stopped by the lifespan).
Several at once are harmless: a delete of what is already gone deletes nothing,
and on PostgreSQL a batch skips rows another worker's batch holds. A failure
(the database away) is logged, and the next interval tries again.
``recipe-api db prune`` runs the same thing once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from recipe_api.background import finish_within
from recipe_api.db.engine import Database, DatabaseUnavailableError

if TYPE_CHECKING:
    from recipe_api.settings import Settings

log = logging.getLogger(__name__)

# (connection, now, limit) -> rows deleted
BatchDelete = Callable[[Connection, datetime, int], int]


@dataclass(frozen=True)
class PruneTask:
    """One kind of prunable row: its name in the report, how a summary says it, its batch delete."""

    kind: str
    label: str
    delete_batch: BatchDelete


@dataclass(frozen=True)
class PruneOptions:
    interval_seconds: float = 3600.0
    batch: int = 500
    # Between two batches: other writers (SQLite: other workers) get the lock.
    pause_seconds: float = 0.02

    @classmethod
    def from_settings(cls, settings: Settings) -> PruneOptions:
        return cls(
            interval_seconds=settings.prune_interval_seconds,
            batch=settings.prune_batch_size,
        )


class PruneReport(dict[str, int]):
    """Rows deleted, by kind; ``report.expired_sessions`` reads ``report["expired_sessions"]``."""

    labels: dict[str, str]

    def __init__(self, tasks: Sequence[PruneTask] = (), **counts: int) -> None:
        super().__init__({task.kind: 0 for task in tasks}, **counts)
        self.labels = {task.kind: task.label for task in tasks}

    def __getattr__(self, kind: str) -> int:
        try:
            return self[kind]
        except KeyError:
            raise AttributeError(kind) from None

    @property
    def total(self) -> int:
        return sum(self.values())

    def summary(self) -> str:
        return ", ".join(f"{count} {self.labels.get(kind, kind)}" for kind, count in self.items())


async def prune(
    db: Database,
    tasks: Sequence[PruneTask],
    options: PruneOptions,
    *,
    now: datetime | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> PruneReport:
    """Deletes every kind's prunable rows as of ``now``; stops between batches if ``stopping()``."""
    now = now or datetime.now(UTC)
    report = PruneReport(tasks)
    for task in tasks:
        while not stopping():
            deleted = await db.run(task.delete_batch, now, options.batch)
            report[task.kind] += deleted
            # Short: the rest are gone, or (PostgreSQL) held by another worker's batch.
            if deleted < options.batch:
                break
            await asyncio.sleep(options.pause_seconds)
    return report


def prune_sync(
    db: Database,
    tasks: Sequence[PruneTask],
    options: PruneOptions,
    *,
    now: datetime | None = None,
) -> PruneReport:
    """:func:`prune` on the synchronous engine, for the command line."""
    now = now or datetime.now(UTC)
    report = PruneReport(tasks)
    for task in tasks:
        while True:
            deleted = db.run_sync(task.delete_batch, now, options.batch)
            report[task.kind] += deleted
            if deleted < options.batch:
                break
            time.sleep(options.pause_seconds)
    return report


class Pruner:
    """Runs :func:`prune` every ``interval_seconds`` in the background of one worker."""

    def __init__(self, db: Database, tasks: Sequence[PruneTask], options: PruneOptions) -> None:
        self.db = db
        self.tasks = tuple(tasks)
        self.options = options
        self.runs = 0  # finished, failed or not
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _first_delay(self) -> float:
        # Anywhere in the first interval: workers started together do not all
        # prune in the same second, and a worker restarted more often than the
        # interval still prunes about once per interval on average.
        return random.uniform(0, self.options.interval_seconds)

    def _next_delay(self) -> float:
        return self.options.interval_seconds * random.uniform(0.9, 1.1)

    async def run_once(self) -> PruneReport | None:
        """One prune; a failure is logged and answers None (the next interval tries again)."""
        try:
            report = await prune(self.db, self.tasks, self.options, stopping=self._stop.is_set)
        except DatabaseUnavailableError as exc:
            log.warning("Prune: database unavailable (%s); trying again next interval", exc)
            return None
        except Exception:
            log.exception("Prune failed; trying again next interval")
            return None
        finally:
            self.runs += 1
        if report.total:
            log.info("Pruned %s", report.summary())
        return report

    async def run_forever(self) -> None:
        delay = self._first_delay()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            if self._stop.is_set():
                return
            await self.run_once()
            delay = self._next_delay()

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run_forever(), name="prune")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace: float = 5.0) -> None:
        """Lets the batch in hand finish (up to ``grace`` seconds), then cancels.

        As the outbox sender's: cancelling mid-query would drop a connection
        under the pool's feet. The next batch is not started.
        """
        if self._task is None:
            return
        self._stop.set()
        await finish_within(self._task, grace)
        self._task = None
