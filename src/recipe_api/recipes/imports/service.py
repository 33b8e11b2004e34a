"""Import use cases: start a job from an upload, read its progress, carry it on by batches.

A job is worked in three kinds of step (decision 0027), each its own unit of work:

1. :func:`import_batch` creates the next batch of recipes and moves the job's
   ``position`` past them; the photos waiting for the recipes it created are
   given their recipe ids in the same transaction, those of recipes it did not
   create (duplicates) are deleted.
2. :func:`store_photos` reads the photos given a recipe (at most a batch),
   encodes them off the event loop (``media``: Pillow, WebP sizes) and stores
   each as its recipe's photo, deleting the waiting row in the same
   transaction: no photo is stored twice, none lost if a worker stops.
3. :func:`finish_job` adds a recipe box's favourites and meal plan entries
   (each only once) and marks the job done.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import orjson
from anyio import to_thread
from sqlalchemy import Connection

from recipe_api.db.engine import Database, DatabaseUnavailableError, is_unavailable
from recipe_api.errors import AppError, NotFoundError
from recipe_api.favourites import repository as favourites
from recipe_api.mealplan import repository as mealplan
from recipe_api.mealplan.service import MAX_ENTRIES_PER_DAY
from recipe_api.media import repository as photos
from recipe_api.media import service as media
from recipe_api.media.images import (
    WEBP_METHOD_BULK,
    PhotoLimits,
    PreparedPhoto,
    prepare_or_reason,
)
from recipe_api.recipes import repository as recipe_rows
from recipe_api.recipes import service as recipes
from recipe_api.recipes.imports import box, repository
from recipe_api.recipes.imports.common import ReadResult, UnreadableUploadError
from recipe_api.recipes.imports.formats import Limits, read_upload
from recipe_api.recipes.imports.models import DONE, QUEUED
from recipe_api.recipes.imports.schemas import ImportJobOut
from recipe_api.recipes.imports.unpack import UploadTooLargeError
from recipe_api.recipes.schemas import RecipeCreate, RecipeOut
from recipe_api.recipes.visibility import Viewer
from recipe_api.users.repository import get_user
from recipe_api.users.schemas import UserOut

T = TypeVar("T")

# Photos encoded at once by the import jobs of this process: one per spare core
# (two cores: one), so the event loop keeps a core. In processes of their own:
# Pillow decodes WebP holding the GIL (10-20 ms a photo, measured in decision
# 0027), which a thread would take from the event loop. Started on first use.
ENCODE_WORKERS = max(1, (os.cpu_count() or 2) - 1)
_encoder_pool: ProcessPoolExecutor | None = None


def _encoders() -> ProcessPoolExecutor:
    global _encoder_pool
    if _encoder_pool is None:
        # spawn: a fresh interpreter, not a fork of a process running threads and a loop.
        context = multiprocessing.get_context("spawn")
        _encoder_pool = ProcessPoolExecutor(max_workers=ENCODE_WORKERS, mp_context=context)
    return _encoder_pool


def close_encoders() -> None:
    """End the encoders' process, if an import started it (the app's lifespan ends it)."""
    global _encoder_pool
    if _encoder_pool is not None:
        _encoder_pool.shutdown(wait=True, cancel_futures=True)
        _encoder_pool = None


class ImportUnreadableError(AppError):
    status_code = 422


class ImportTooLargeError(AppError):
    status_code = 413


async def in_unit(db: Database, fn: Callable[[Connection], T]) -> T:
    """``fn`` as one unit of work, never on the event loop's thread.

    SQLite runs units of work on the loop's thread; a batch of inserts, a
    photo's bytes or a job's JSON is too long for that: a thread, with a
    connection of its own. PostgreSQL's async engine waits for the server off
    the loop, but builds rows and parses JSON on it: a thread too (decision 0027).
    """
    try:
        return await to_thread.run_sync(db.run_sync, fn)
    except Exception as exc:
        # As ``Database.run`` answers it: the database down is a 503, not a 500.
        if not is_unavailable(exc):
            raise
        raise DatabaseUnavailableError() from exc


async def start_import(
    db: Database, uploads: list[tuple[str, bytes]], *, user: UserOut, limits: Limits
) -> ImportJobOut:
    """A job for the recipes in ``uploads``, queued for the runner (done at once when empty).

    The upload is read in a thread (unzipping is CPU work); its recipes are
    kept as the job's JSON and its photos in ``recipe_import_photo``, not the
    upload itself.
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
    values = {
        "cook_id": user.id,
        "format": kind,
        "filename": names[:256],
        "status": QUEUED if result.recipes else DONE,
        "total": len(result.recipes),
        "skipped": skipped,
        "problems": [problem.as_dict() for problem in result.problems],
        "pending": pending,
        "finished_at": None if result.recipes else now,
    }
    photos_ = result.photos if result.recipes else {}
    row = await in_unit(db, partial(_add_job, values=values, photos=photos_))
    return row


def _add_job(
    connection: Connection, values: dict[str, Any], photos: dict[int, bytes]
) -> ImportJobOut:
    row = repository.add_job(connection, **values)
    repository.add_photos(connection, int(row["id"]), photos)
    return ImportJobOut.model_validate(row)


def _read(uploads: list[tuple[str, bytes]], limits: Limits) -> tuple[str, ReadResult, str]:
    """The upload read, and its recipes as the job keeps them: all of it CPU work, off the loop."""
    kind, result = read_upload(uploads, limits)
    pending = {
        "recipes": [recipe.model_dump(mode="json") for recipe in result.recipes],
        "favourites": result.favourites,
        "plan": result.plan,
    }
    return kind, result, orjson.dumps(pending).decode()


@dataclass
class Pending:
    """What a job still holds: its recipes (our create shape), a box's favourites and plan."""

    recipes: list[dict[str, Any]]
    favourites: list[dict[str, Any]]
    plan: list[dict[str, Any]]

    @classmethod
    def parse(cls, text: str) -> Pending:
        found = orjson.loads(text)
        if isinstance(found, list):  # a job queued before favourites and plans were kept
            return cls(found, [], [])
        return cls(
            found.get("recipes") or [], found.get("favourites") or [], found.get("plan") or []
        )


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
) -> int | None:
    """Creates the job's next ``size`` recipes and moves its position past them: one unit of work.

    Returns how many recipes are left (0: the job only needs finishing), or
    None when the claim no longer holds it. The recipes, the position and the
    photos' recipe ids are committed together: were the worker to stop after
    this, the job resumes after them, and were it to stop before, none exists yet.
    """
    job = repository.held_job(connection, job_id, claim)
    if job is None:  # the lease ran out and another worker holds it: leave it to that one
        return None
    cook = get_user(connection, int(job["cook_id"]))
    pending = Pending.parse(job["pending"])
    position = int(job["position"])
    imported, skipped = int(job["imported"]), int(job["skipped"])
    problems = list(job["problems"])
    end = min(len(pending.recipes), position + size)
    created: dict[int, int] = {}
    if cook is not None:
        user = UserOut.model_validate(cook)
        for at in range(position, end):
            # Imported recipes start private, as every recipe a cook brings does.
            data = RecipeCreate.model_validate({**pending.recipes[at], "private": True})
            outcome = recipes.create_imported(connection, data, user)
            if isinstance(outcome, str):
                skipped += 1
                problems.append({"recipe": data.label, "reason": outcome, "skipped": True})
            else:
                imported += 1
                created[at] = outcome.id
    repository.assign_photos(connection, job_id, created)
    repository.drop_unassigned_photos(connection, job_id, end)
    repository.record_progress(
        connection,
        job_id,
        claim,
        position=end,
        imported=imported,
        skipped=skipped,
        problems=problems,
        lease_until=datetime.now(UTC) + lease,
        finished_at=None,
    )
    return len(pending.recipes) - end


def _waiting_photos(
    connection: Connection, job_id: int, limit: int
) -> list[tuple[int, int, bytes]]:
    rows = repository.assigned_photos(connection, job_id, limit=limit)
    return [(int(r["position"]), int(r["recipe_id"]), bytes(r["data"])) for r in rows]


def _store_prepared(
    connection: Connection,
    job_id: int,
    prepared: list[tuple[int, int, PreparedPhoto | str]],
    max_per_cook: int,
) -> None:
    problems: list[dict[str, object]] = []
    for position, recipe_id, photo in prepared:
        if not repository.take_photo(connection, job_id, position):
            continue  # another worker stored it
        if isinstance(photo, str):
            reason = photo
        else:
            try:
                media.store_in(connection, recipe_id, photo, "import", max_per_cook)
                continue
            except AppError as exc:
                reason = str(exc.detail)
        label = recipe_rows.label_of(connection, recipe_id) or f"recipe {recipe_id}"
        problems.append(
            {"recipe": label, "reason": f"Its photo was not kept: {reason}", "skipped": False}
        )
    repository.add_problems(connection, job_id, problems)


async def store_photos(db: Database, job_id: int, *, limits: PhotoLimits, size: int) -> int:
    """Stores up to ``size`` photos of recipes the job created; returns how many it handled.

    Read, encode and store: the bytes of one batch at most are in memory, the
    encoding runs in ``ENCODE_WORKERS`` processes, and every database step in
    a thread.
    """
    waiting = await in_unit(db, partial(_waiting_photos, job_id=job_id, limit=size))
    if not waiting:
        return 0
    loop = asyncio.get_running_loop()
    pool = _encoders()
    encoded = await asyncio.gather(
        *(
            loop.run_in_executor(pool, prepare_or_reason, data, limits, WEBP_METHOD_BULK)
            for _, _, data in waiting
        )
    )
    prepared = [
        (position, recipe_id, photo)
        for (position, recipe_id, _), photo in zip(waiting, encoded, strict=True)
    ]
    del waiting, encoded
    await in_unit(
        db,
        partial(
            _store_prepared, job_id=job_id, prepared=prepared, max_per_cook=limits.max_per_cook
        ),
    )
    return len(prepared)


class _Resolver:
    """Recipe ids for the keys a recipe box names its favourites' and plan's recipes by."""

    def __init__(self, connection: Connection, user: UserOut, pending: Pending) -> None:
        self.connection = connection
        self.user = user
        self.pending = pending
        self.found: dict[bytes, int | None] = {}

    def __call__(self, key: dict[str, Any]) -> int | None:
        cache_key = orjson.dumps({k: key.get(k) for k in ("recipe", "url", "name", "ingredients")})
        if cache_key not in self.found:
            self.found[cache_key] = self._resolve(key)
        return self.found[cache_key]

    def _resolve(self, key: dict[str, Any]) -> int | None:
        index = key.get("recipe")
        if isinstance(index, int):
            if not 0 <= index < len(self.pending.recipes):
                return None
            data = RecipeCreate.model_validate(self.pending.recipes[index])
            match = recipes.own_match(self.connection, data, self.user.id)
            return None if match is None else match[0]
        name = key.get("name")
        if not isinstance(name, str):
            return None
        lines = [str(line) for line in key.get("ingredients") or []]
        return recipes.visible_match(self.connection, key.get("url"), name, lines, self.user)


def _add_box_items(
    connection: Connection, user: UserOut, pending: Pending
) -> list[dict[str, object]]:
    """A recipe box's favourites and plan entries, each added unless the cook has it already."""
    resolve = _Resolver(connection, user, pending)
    missing = 0
    for key in pending.favourites:
        recipe_id = resolve(key)
        if recipe_id is None:
            missing += 1
        else:
            favourites.add(connection, user.id, recipe_id)
    full = 0
    for entry in pending.plan:
        recipe_id = resolve(entry)
        if recipe_id is None:
            missing += 1
            continue
        day = date.fromisoformat(entry["day"])
        if mealplan.has_entry(connection, user.id, day, entry["meal"], recipe_id):
            continue
        if mealplan.entries_on_day(connection, user.id, day) >= MAX_ENTRIES_PER_DAY:
            full += 1
            continue
        mealplan.add_entry(
            connection,
            cook_id=user.id,
            recipe_id=recipe_id,
            day=day,
            meal=entry["meal"],
            servings=int(entry["servings"]),
        )
    problems: list[dict[str, object]] = []
    if missing:
        problems.append(
            {
                "recipe": "favourites and meal plan",
                "reason": f"{missing} name a recipe not found here (another cook's that is not "
                "shared on this site): left out",
                "skipped": False,
            }
        )
    if full:
        problems.append(
            {
                "recipe": "meal plan",
                "reason": f"{full} fell on days already holding {MAX_ENTRIES_PER_DAY} "
                "entries: left out",
                "skipped": False,
            }
        )
    return problems


def finish_job(connection: Connection, job_id: int, claim: str) -> bool:
    """Adds a recipe box's favourites and plan, and marks the job done (False: not held)."""
    job = repository.held_job(connection, job_id, claim)
    if job is None:
        return False
    problems = list(job["problems"])
    cook = get_user(connection, int(job["cook_id"]))
    pending = Pending.parse(job["pending"])
    if cook is not None and (pending.favourites or pending.plan):
        problems.extend(_add_box_items(connection, UserOut.model_validate(cook), pending))
    now = datetime.now(UTC)
    return repository.record_progress(
        connection,
        job_id,
        claim,
        position=int(job["position"]),
        imported=int(job["imported"]),
        skipped=int(job["skipped"]),
        problems=problems,
        lease_until=now,
        finished_at=now,
    )


def _box_contents(
    connection: Connection, user: UserOut
) -> tuple[list[RecipeOut], dict[int, bytes], list[box.BoxItem], list[box.BoxItem]]:
    mine = [
        RecipeOut.model_validate(row) for row in recipe_rows.all_by_submitter(connection, user.id)
    ]
    files = dict(photos.largest_files_of_cook(connection, user.id))
    viewer = Viewer.of(user)
    liked = [
        box.BoxItem(
            recipe=(recipe := RecipeOut.model_validate(row)), own=recipe.submitter_id == user.id
        )
        for row in favourites.all_for_cook(connection, user.id, viewer)
    ]
    planned = [
        box.BoxItem(
            recipe=(recipe := RecipeOut.model_validate(row)),
            own=recipe.submitter_id == user.id,
            day=row["plan_day"],
            meal=row["plan_meal"],
            servings=row["plan_servings"],
        )
        for row in mealplan.all_entries(connection, user.id, viewer)
    ]
    return mine, files, liked, planned


async def recipe_box(db: Database, *, user: UserOut) -> bytes:
    """The cook's recipe box: recipes (schema.org JSON-LD) with photos, favourites, meal plan.

    Read in one transaction (a consistent box), built in a thread.
    """
    mine, files, liked, planned = await in_unit(db, partial(_box_contents, user=user))
    return await to_thread.run_sync(
        partial(
            box.write, mine, cook_email=user.email, photos=files, favourites=liked, plan=planned
        )
    )
