"""Import use cases: start a job from an upload, read its progress, carry it on by batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from anyio import to_thread
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.errors import AppError, NotFoundError
from recipe_api.recipes import service as recipes
from recipe_api.recipes.imports import repository
from recipe_api.recipes.imports.common import ReadResult, UnreadableUploadError
from recipe_api.recipes.imports.formats import Limits, read_upload
from recipe_api.recipes.imports.models import DONE, QUEUED
from recipe_api.recipes.imports.schemas import ImportJobOut
from recipe_api.recipes.imports.unpack import UploadTooLargeError
from recipe_api.recipes.schemas import RecipeCreate
from recipe_api.users.repository import get_user
from recipe_api.users.schemas import UserOut


class ImportUnreadableError(AppError):
    status_code = 422


class ImportTooLargeError(AppError):
    status_code = 413


async def start_import(
    db: Database, uploads: list[tuple[str, bytes]], *, user: UserOut, limits: Limits
) -> ImportJobOut:
    """A job for the recipes in ``uploads``, queued for the runner (done at once when empty).

    The upload is read in a thread (unzipping is CPU work), and only the recipes
    read from it are kept, not the upload itself (photos and all).
    """
    try:
        kind, result, pending = await to_thread.run_sync(_read, uploads, limits)
    except UploadTooLargeError as exc:
        raise ImportTooLargeError(str(exc)) from None
    except UnreadableUploadError as exc:
        raise ImportUnreadableError(str(exc)) from None
    names = ", ".join(name for name, _ in uploads)
    skipped = sum(1 for problem in result.problems if problem.skipped)
    now = datetime.now(UTC)
    row = await db.run(
        repository.add_job,
        cook_id=user.id,
        format=kind,
        filename=names[:256],
        status=QUEUED if result.recipes else DONE,
        total=len(result.recipes),
        skipped=skipped,
        problems=[problem.as_dict() for problem in result.problems],
        pending=pending.decode(),
        finished_at=None if result.recipes else now,
    )
    return ImportJobOut.model_validate(row)


def _read(uploads: list[tuple[str, bytes]], limits: Limits) -> tuple[str, ReadResult, bytes]:
    """The upload read, and its recipes as the job keeps them: all of it CPU work, off the loop."""
    kind, result = read_upload(uploads, limits)
    pending = orjson.dumps([recipe.model_dump(mode="json") for recipe in result.recipes])
    return kind, result, pending


def _job(connection: Connection, job_id: int, cook_id: int) -> ImportJobOut | None:
    row = repository.get_job(connection, job_id)
    if row is None or int(row["cook_id"]) != cook_id:
        return None
    return ImportJobOut.model_validate(row)


async def get_import(db: Database, job_id: int, *, user: UserOut) -> ImportJobOut:
    """The job, to the cook who started it; 404 to anyone else (nobody learns it exists)."""
    job = await db.read(_job, job_id, user.id)
    if job is None:
        raise NotFoundError(f"Import with ID {job_id} not found")
    return job


def import_batch(
    connection: Connection, job_id: int, claim: str, *, size: int, lease: timedelta
) -> bool:
    """Creates the job's next ``size`` recipes and moves its position past them: one unit of work.

    Returns whether the job has more to do. The recipes and the position are
    committed together: were the worker to stop after this, the job resumes
    after them, and were it to stop before, none of them exists yet.
    """
    job = repository.held_job(connection, job_id, claim)
    if job is None:  # the lease ran out and another worker holds it: leave it to that one
        return False
    cook = get_user(connection, int(job["cook_id"]))
    pending = orjson.loads(job["pending"])
    position = int(job["position"])
    imported, skipped = int(job["imported"]), int(job["skipped"])
    problems = list(job["problems"])
    if cook is not None:
        user = UserOut.model_validate(cook)
        for values in pending[position : position + size]:
            # Imported recipes start private, as every recipe a cook brings does.
            data = RecipeCreate.model_validate({**values, "private": True})
            duplicate = recipes.create_imported(connection, data, user)
            if duplicate is None:
                imported += 1
            else:
                skipped += 1
                problems.append({"recipe": data.label, "reason": duplicate, "skipped": True})
    position = min(len(pending), position + size)
    now = datetime.now(UTC)
    finished = position >= len(pending)
    repository.record_progress(
        connection,
        job_id,
        claim,
        position=position,
        imported=imported,
        skipped=skipped,
        problems=problems,
        lease_until=now + lease,
        finished_at=now if finished else None,
    )
    return not finished
