"""The import runner: carries on unfinished import jobs, in every worker (like the outbox's sender).

Each worker runs one :class:`ImportRunner`, started and stopped by the app's
lifespan. It claims one job whose lease is over (a new one, or one whose
worker stopped), then creates its recipes a batch per transaction, renewing
the lease with each; between batches the event loop serves requests.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from anyio import to_thread

from recipe_api.background import Poller
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


class ImportRunner(Poller):
    name = "import-runner"

    def __init__(self, db: Database, options: RunnerOptions) -> None:
        self.db = db
        self.options = options
        self.poll_seconds = options.poll_seconds
        super().__init__()

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
