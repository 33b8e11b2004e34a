"""Finished import jobs go after IMPORT_JOB_KEEP_DAYS, with their photo rows; both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select

from recipe_api.db.engine import Database
from recipe_api.db.prune import PruneOptions, prune
from recipe_api.recipes.imports import repository
from recipe_api.recipes.imports.models import (
    DONE,
    QUEUED,
    recipe_import_photo_table,
    recipe_import_table,
)
from recipe_api.tasks import prune_tasks
from recipe_api.users.repository import add_user

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _job(connection: Connection, cook_id: int, *, finished: datetime | None) -> int:
    row = repository.add_job(
        connection,
        cook_id=cook_id,
        format="mealie",
        filename="export.zip",
        status=DONE if finished else QUEUED,
        total=1,
        problems=[],
        pending="[]",
        finished_at=finished,
        created_at=(finished or NOW) - DAY,
    )
    repository.add_photos(connection, int(row["id"]), {0: b"photo bytes"})
    return int(row["id"])


async def test_finished_jobs_past_their_days_go_with_their_photos(db: Database) -> None:
    def setup(connection: Connection) -> dict[str, int]:
        cook_id = int(add_user(connection, email="jobs@example.com")["id"])
        return {
            "old": _job(connection, cook_id, finished=NOW - 31 * DAY),
            "recent": _job(connection, cook_id, finished=NOW - 29 * DAY),
            # Queued long ago and never finished: the runner still owes it.
            "unfinished": _job(connection, cook_id, finished=None),
        }

    jobs = await db.run(setup)

    def left(connection: Connection) -> tuple[set[int], set[int]]:
        job_ids = set(connection.execute(select(recipe_import_table.c.id)).scalars())
        photo_jobs = set(connection.execute(select(recipe_import_photo_table.c.job_id)).scalars())
        return job_ids, photo_jobs

    tasks = prune_tasks(import_job_days=30)
    report = await prune(db, tasks, PruneOptions(pause_seconds=0), now=NOW)
    assert report.import_jobs == 1
    kept = {jobs["recent"], jobs["unfinished"]}
    assert await db.read(left) == (kept, kept)
    assert (await prune(db, tasks, PruneOptions(pause_seconds=0), now=NOW)).import_jobs == 0
    # Two days on, the recent one's 30 days are up; the unfinished job still stays.
    later = await prune(db, tasks, PruneOptions(pause_seconds=0), now=NOW + 2 * DAY)
    assert later.import_jobs == 1
    assert await db.read(left) == ({jobs["unfinished"]}, {jobs["unfinished"]})
