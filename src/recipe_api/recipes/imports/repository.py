"""Queries on ``recipe_import``. No function here commits: ``Database.run`` does.

Claiming works as the outbox's (``email/repository.py``): the job is picked
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and the claiming ``UPDATE``
checks again that its lease is over, so of two workers one holds it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, or_, select, update

from recipe_api.db.base import delete_batch
from recipe_api.recipes.imports.models import (
    DONE,
    QUEUED,
    RUNNING,
    recipe_import_photo_table,
    recipe_import_table,
)

_j = recipe_import_table.c
_ph = recipe_import_photo_table.c
# Photo rows written per statement when a job is started: a bounded executemany.
PHOTO_CHUNK = 25
# What the cook sees of a job: everything but the recipes still to create and the claim.
_VISIBLE = [c for c in recipe_import_table.c if c.name not in ("pending", "claim", "lease_until")]


def add_job(connection: Connection, /, **values: Any) -> RowMapping:
    statement = insert(recipe_import_table).values(**values).returning(*_VISIBLE)
    return connection.execute(statement).mappings().one()


def get_job(connection: Connection, job_id: int) -> RowMapping | None:
    statement = select(*_VISIBLE).where(_j.id == job_id)
    return connection.execute(statement).mappings().first()


def claim_next(
    connection: Connection, *, claim: str, now: datetime, lease: timedelta
) -> int | None:
    """The id of one unfinished job whose lease is over, now held under ``claim``; or None."""
    due = or_(_j.lease_until.is_(None), _j.lease_until <= now)
    unfinished = _j.status.in_((QUEUED, RUNNING))
    picked = (
        select(_j.id)
        .where(unfinished, due)
        .order_by(_j.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job_id = connection.execute(picked).scalar()
    if job_id is None:
        return None
    statement = (
        update(recipe_import_table)
        .where(_j.id == job_id, unfinished, due)
        .values(claim=claim, status=RUNNING, lease_until=now + lease)
        .returning(_j.id)
    )
    claimed: int | None = connection.execute(statement).scalar()
    return claimed


def add_photos(connection: Connection, job_id: int, photos: Mapping[int, bytes]) -> None:
    """The export's photos, by their recipe's position in the job."""
    positions = sorted(photos)
    for start in range(0, len(positions), PHOTO_CHUNK):
        connection.execute(
            insert(recipe_import_photo_table),
            [
                {"job_id": job_id, "position": p, "data": photos[p]}
                for p in positions[start : start + PHOTO_CHUNK]
            ],
        )


def assign_photos(connection: Connection, job_id: int, created: Mapping[int, int]) -> None:
    """The photos at these positions now belong to the recipes created for them."""
    for position, recipe_id in created.items():
        connection.execute(
            update(recipe_import_photo_table)
            .where(_ph.job_id == job_id, _ph.position == position)
            .values(recipe_id=recipe_id)
        )


def drop_unassigned_photos(connection: Connection, job_id: int, below: int) -> None:
    """Photos of recipes before ``below`` that were not created (duplicates, or no cook)."""
    connection.execute(
        delete(recipe_import_photo_table).where(
            _ph.job_id == job_id, _ph.position < below, _ph.recipe_id.is_(None)
        )
    )


def assigned_photos(connection: Connection, job_id: int, *, limit: int) -> Sequence[RowMapping]:
    """Up to ``limit`` photos whose recipes exist and that are not stored yet."""
    statement = (
        select(_ph.position, _ph.recipe_id, _ph.data)
        .where(_ph.job_id == job_id, _ph.recipe_id.is_not(None))
        .order_by(_ph.position)
        .limit(limit)
    )
    return connection.execute(statement).mappings().all()


def take_photo(connection: Connection, job_id: int, position: int) -> bool:
    """Deletes the photo row; False when another worker took it first (store nothing then)."""
    statement = delete(recipe_import_photo_table).where(
        _ph.job_id == job_id, _ph.position == position
    )
    return connection.execute(statement).rowcount == 1


def add_problems(
    connection: Connection, job_id: int, problems: Collection[dict[str, object]]
) -> None:
    if not problems:
        return
    statement = select(_j.problems).where(_j.id == job_id).with_for_update()
    found = connection.execute(statement).scalar()
    if found is None:
        return
    connection.execute(
        update(recipe_import_table).where(_j.id == job_id).values(problems=[*found, *problems])
    )


def delete_finished_batch(connection: Connection, *, before: datetime, limit: int) -> int:
    """Deletes up to ``limit`` jobs finished before ``before`` (their photo rows by cascade)."""
    finished = [_j.status == DONE, _j.finished_at < before]
    return delete_batch(connection, recipe_import_table, finished, _j.finished_at, limit)


def held_job(connection: Connection, job_id: int, claim: str) -> RowMapping | None:
    """The whole job row, if ``claim`` still holds it (locked on PostgreSQL till the commit)."""
    statement = (
        select(recipe_import_table)
        .where(_j.id == job_id, _j.claim == claim, _j.status == RUNNING)
        .with_for_update()
    )
    return connection.execute(statement).mappings().first()


def record_progress(
    connection: Connection,
    job_id: int,
    claim: str,
    *,
    position: int,
    imported: int,
    skipped: int,
    problems: list[dict[str, object]],
    lease_until: datetime,
    finished_at: datetime | None,
) -> bool:
    values: dict[str, Any] = {
        "position": position,
        "imported": imported,
        "skipped": skipped,
        "problems": problems,
        "lease_until": lease_until,
    }
    if finished_at is not None:
        # Done: the recipes it held are in the recipe table now.
        values.update(status=DONE, finished_at=finished_at, pending="[]", claim=None)
        connection.execute(delete(recipe_import_photo_table).where(_ph.job_id == job_id))
    statement = (
        update(recipe_import_table).where(_j.id == job_id, _j.claim == claim).values(**values)
    )
    return connection.execute(statement).rowcount == 1
