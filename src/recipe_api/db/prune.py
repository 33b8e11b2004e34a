"""Housekeeping: deletes the rows nothing will read again, so the database does not only grow.

What goes:

* web sessions past their expiry (a log-out deletes its own at once; these
  are the ones nobody logged out of);
* emailed account tokens past their expiry (a used one is deleted when used);
* outbox rows ``sent`` more than ``PRUNE_SENT_EMAIL_DAYS`` ago, and ``dropped``
  ones (reset requests for no account) as old.

What stays: ``failed`` emails, until an operator retries (``recipe-api outbox
retry``) or purges them; ``pending`` ones, which are still owed.

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
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from recipe_api.auth import session_repository, token_repository
from recipe_api.db.engine import Database, DatabaseUnavailableError
from recipe_api.email import repository as outbox_repository
from recipe_api.email.models import DROPPED, SENT
from recipe_api.settings import Settings

log = logging.getLogger(__name__)

# (connection, now, limit) -> rows deleted
BatchDelete = Callable[[Connection, datetime, int], int]


@dataclass(frozen=True)
class PruneOptions:
    interval_seconds: float = 3600.0
    sent_email_retention: timedelta = timedelta(days=7)
    batch: int = 500
    # Between two batches: other writers (SQLite: other workers) get the lock.
    pause_seconds: float = 0.02

    @classmethod
    def from_settings(cls, settings: Settings) -> PruneOptions:
        return cls(
            interval_seconds=settings.prune_interval_seconds,
            sent_email_retention=timedelta(days=settings.prune_sent_email_days),
            batch=settings.prune_batch_size,
        )


@dataclass
class PruneReport:
    """Rows deleted, by kind."""

    expired_sessions: int = 0
    expired_tokens: int = 0
    sent_emails: int = 0
    dropped_emails: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, field.name) for field in fields(self))

    def summary(self) -> str:
        return (
            f"{self.expired_sessions} expired session(s), {self.expired_tokens} expired "
            f"account token(s), {self.sent_emails} sent and {self.dropped_emails} dropped "
            "email(s)"
        )


def _old_emails(status: str, retention: timedelta) -> BatchDelete:
    def delete_batch(connection: Connection, now: datetime, limit: int) -> int:
        return outbox_repository.delete_finished_batch(
            connection, status=status, before=now - retention, limit=limit
        )

    return delete_batch


def _kinds(options: PruneOptions) -> list[tuple[str, BatchDelete]]:
    """Each kind of prunable row (a field of :class:`PruneReport`) and its batch delete."""
    return [
        ("expired_sessions", session_repository.delete_expired_batch),
        ("expired_tokens", token_repository.delete_expired_batch),
        ("sent_emails", _old_emails(SENT, options.sent_email_retention)),
        ("dropped_emails", _old_emails(DROPPED, options.sent_email_retention)),
    ]


async def prune(
    db: Database,
    options: PruneOptions,
    *,
    now: datetime | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> PruneReport:
    """Deletes every kind's prunable rows as of ``now``; stops between batches if ``stopping()``."""
    now = now or datetime.now(UTC)
    report = PruneReport()
    for kind, delete_batch in _kinds(options):
        while not stopping():
            deleted = await db.run(delete_batch, now, options.batch)
            setattr(report, kind, getattr(report, kind) + deleted)
            # Short: the rest are gone, or (PostgreSQL) held by another worker's batch.
            if deleted < options.batch:
                break
            await asyncio.sleep(options.pause_seconds)
    return report


def prune_sync(db: Database, options: PruneOptions, *, now: datetime | None = None) -> PruneReport:
    """:func:`prune` on the synchronous engine, for the command line."""
    now = now or datetime.now(UTC)
    report = PruneReport()
    for kind, delete_batch in _kinds(options):
        while True:
            deleted = db.run_sync(delete_batch, now, options.batch)
            setattr(report, kind, getattr(report, kind) + deleted)
            if deleted < options.batch:
                break
            time.sleep(options.pause_seconds)
    return report


class Pruner:
    """Runs :func:`prune` every ``interval_seconds`` in the background of one worker."""

    def __init__(self, db: Database, options: PruneOptions) -> None:
        self.db = db
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
            report = await prune(self.db, self.options, stopping=self._stop.is_set)
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
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
