"""The import jobs' housekeeping, run by ``db/prune.py``'s scheduler.

A finished job (``done``) is kept ``IMPORT_JOB_KEEP_DAYS`` after it finished,
so its cook can read what was skipped and why, then deleted with any photo
rows it still holds (``ON DELETE CASCADE``). Unfinished jobs stay: the runner
still owes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from recipe_api.db.prune import BatchDelete, PruneTask
from recipe_api.recipes.imports import repository


def _finished_jobs(retention: timedelta) -> BatchDelete:
    def delete_batch(connection: Connection, now: datetime, limit: int) -> int:
        return repository.delete_finished_batch(connection, before=now - retention, limit=limit)

    return delete_batch


def prune_tasks(retention: timedelta) -> tuple[PruneTask, ...]:
    return (PruneTask("import_jobs", "finished import job(s)", _finished_jobs(retention)),)
