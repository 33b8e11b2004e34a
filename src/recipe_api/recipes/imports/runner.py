"""The import runner: carries on unfinished import jobs, in every worker (like the outbox's sender).

Each worker runs one :class:`ImportRunner`, started and stopped by the app's
lifespan. It claims one job whose lease is over (a new one, or one whose
worker stopped), then creates its recipes a batch per transaction, renewing
the lease with each; between batches the event loop serves requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from anyio import to_thread

from recipe_api.db.engine import Database
from recipe_api.recipes.imports import repository, service
from recipe_api.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerOptions:
    poll_seconds: float = 2.0
    lease: timedelta = timedelta(seconds=60)
    batch: int = 25

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerOptions:
        return cls(
            poll_seconds=settings.import_job_poll_seconds,
            lease=timedelta(seconds=settings.import_job_lease_seconds),
            batch=settings.import_job_batch,
        )


class ImportRunner:
    def __init__(self, db: Database, options: RunnerOptions) -> None:
        self.db = db
        self.options = options
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """A job was just queued: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> bool:
        """Claims one job and works on it until done (or stopping); False when none was due."""
        claim = secrets.token_hex(16)
        job_id = await self.db.run(
            repository.claim_next, claim=claim, now=datetime.now(UTC), lease=self.options.lease
        )
        if job_id is None:
            return False
        log.info("Import %s: working on it", job_id)
        more = True
        while more and not self._stopping:
            more = await self._batch(job_id, claim)
            await asyncio.sleep(0)  # requests waiting on the loop go first
        return True

    async def _batch(self, job_id: int, claim: str) -> bool:
        batch = partial(
            service.import_batch,
            job_id=job_id,
            claim=claim,
            size=self.options.batch,
            lease=self.options.lease,
        )
        if self.db.inline:
            # SQLite runs units of work on the loop's thread; a batch of inserts is
            # too long for that: a thread, with a connection of its own. On
            # PostgreSQL the async engine waits for the server off the loop; a
            # thread there measured worse (decision 0020).
            return await to_thread.run_sync(self.db.run_sync, batch)
        return await self.db.run(batch)

    async def run_forever(self) -> None:
        while not self._stopping:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: the lease brings the job back
                log.warning("Import runner: %s", exc)
                worked = False
            if worked or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.options.poll_seconds)
            self._wake.clear()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run_forever(), name="import-runner")

    async def stop(self, grace: float = 5.0) -> None:
        """Lets the batch in hand finish (up to ``grace`` seconds), then cancels.

        A job left mid-way keeps its position; its lease ends and a worker takes it up.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._stopping = False
