"""The import runner: carries on unfinished import jobs, in every worker (like the outbox's sender).

Each worker runs one :class:`ImportRunner`, started and stopped by the app's
lifespan. It claims one job whose lease is over (a new one, or one whose
worker stopped), then creates its recipes a batch per transaction, renewing
the lease with each, and stores that batch's photos; every unit of work and
every photo's encoding runs in a thread, so the event loop serves requests
throughout (decision 0027).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from recipe_api.background import Poller
from recipe_api.db.engine import Database
from recipe_api.media.images import PhotoLimits
from recipe_api.media.service import limits_from_settings
from recipe_api.recipes.imports import repository, service
from recipe_api.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_PHOTO_LIMITS = PhotoLimits(
    max_bytes=10 * 1024 * 1024, max_pixels=40_000_000, max_per_cook=500
)


@dataclass(frozen=True)
class RunnerOptions:
    poll_seconds: float = 2.0
    lease: timedelta = timedelta(seconds=60)
    batch: int = 25
    photo_limits: PhotoLimits = DEFAULT_PHOTO_LIMITS

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerOptions:
        return cls(
            poll_seconds=settings.import_job_poll_seconds,
            lease=timedelta(seconds=settings.import_job_lease_seconds),
            batch=settings.import_job_batch,
            photo_limits=limits_from_settings(settings),
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
        while not self._stopping:
            # First the photos a stopped worker's last batch left, then each batch's own.
            await self._photos(job_id)
            left = await service.in_unit(
                self.db,
                partial(
                    service.import_batch,
                    job_id=job_id,
                    claim=claim,
                    size=self.options.batch,
                    lease=self.options.lease,
                ),
            )
            if left is None:
                break
            await self._photos(job_id)
            if left == 0:
                await service.in_unit(
                    self.db, partial(service.finish_job, job_id=job_id, claim=claim)
                )
                break
        return True

    async def _photos(self, job_id: int) -> None:
        size = self.options.batch
        while (
            await service.store_photos(self.db, job_id, limits=self.options.photo_limits, size=size)
            == size
            and not self._stopping
        ):
            pass
