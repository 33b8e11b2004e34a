"""Queries on ``recipe_import``. No function here commits: ``Database.run`` does.

Claiming works as the outbox's (``email/repository.py``): the job is picked
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and the claiming ``UPDATE``
checks again that its lease is over, so of two workers one holds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, or_, select, update

from recipe_api.recipes.imports.models import DONE, QUEUED, RUNNING, recipe_import_table

_j = recipe_import_table.c
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
    statement = (
        update(recipe_import_table).where(_j.id == job_id, _j.claim == claim).values(**values)
    )
    return connection.execute(statement).rowcount == 1
