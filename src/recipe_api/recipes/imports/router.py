from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile, status

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.http.responses import errors, validation_or_rule_error
from recipe_api.recipes.imports import service
from recipe_api.recipes.imports.formats import Limits
from recipe_api.recipes.imports.schemas import ImportJobOut
from recipe_api.schemas import MAX_ID
from recipe_api.settings import Settings
from recipe_api.state import request_state

router = APIRouter(prefix="/recipes/imports", tags=["recipes"], responses=errors(503))


def import_limits(request: Request) -> Limits:
    return limits_from(request_state(request).settings)


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_entries=settings.import_max_entries,
        max_unpacked_bytes=settings.import_max_unpacked_mb * 1024 * 1024,
        max_recipes=settings.import_max_recipes,
    )


ImportLimits = Annotated[Limits, Depends(import_limits)]


async def read_uploads(files: list[UploadFile]) -> list[tuple[str, bytes]]:
    return [(upload.filename or "upload", await upload.read()) for upload in files]


async def start(
    request: Request,
    db: DatabaseDep,
    uploads: list[tuple[str, bytes]],
    user: CurrentUser,
    limits: Limits,
) -> ImportJobOut:
    job = await service.start_import(db, uploads, user=user, limits=limits)
    request_state(request).import_runner.wake()
    return job


@router.post(
    "/",
    response_model=ImportJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **errors(
            400,
            401,
            413,
            _400="The body is not multipart form data",
            _413="The upload is larger than IMPORT_UPLOAD_MAX_MB, or unpacks to more than "
            "IMPORT_MAX_UNPACKED_MB or IMPORT_MAX_ENTRIES files",
        ),
        **validation_or_rule_error(
            "Not an export we read (Mealie, Tandoor, Paprika, schema.org JSON-LD, a recipe "
            "box from this site), or more than IMPORT_MAX_RECIPES recipes; `detail` says which"
        ),
    },
)
async def start_import(
    request: Request,
    db: DatabaseDep,
    user: CurrentUser,
    limits: ImportLimits,
    files: Annotated[
        list[UploadFile],
        File(
            description="A Mealie or Tandoor export zip, a Paprika .paprikarecipes, a recipe "
            "box from this site, or one or more schema.org Recipe JSON-LD files (or a zip of them)"
        ),
    ],
) -> ImportJobOut:
    """Import every recipe in another app's export (you submit them).

    The upload is read at once (a 422 or 413 when it cannot be); its recipes
    are then created in the background: follow the job at
    `GET /recipes/imports/{id}`. A recipe you already have (the same web
    address, or the same name and ingredients) is skipped and listed in `problems`.
    """
    return await start(request, db, await read_uploads(files), user, limits)


@router.get("/{job_id}", response_model=ImportJobOut, responses=errors(401, 404))
async def get_import(
    job_id: Annotated[int, Path(ge=1, le=MAX_ID)], db: DatabaseDep, user: CurrentUser
) -> ImportJobOut:
    """How far an import is: counts, and each recipe skipped or cut and why (yours only)."""
    return await service.get_import(db, job_id, user=user)
