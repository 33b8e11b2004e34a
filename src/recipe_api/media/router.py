"""A recipe's photo in the API (/api/v1/recipes/{id}/photo) and the photo files (/media/photos/)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile, status

from recipe_api.auth.dependencies import CurrentUser
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.http.conditional import client_has, not_modified
from recipe_api.http.responses import errors, validation_or_rule_error
from recipe_api.media import service
from recipe_api.media.images import PhotoLimits
from recipe_api.media.schemas import PhotoOut
from recipe_api.recipes.dependencies import RecipeId
from recipe_api.state import request_state

router = APIRouter(prefix="/recipes", tags=["photos"], responses=errors(503))
files = APIRouter(include_in_schema=False)

_NOT_FOUND = errors(404, _404="No recipe has this ID")
_REFUSED = {
    **errors(413, _413="The file is larger than PHOTO_MAX_MB"),
    **validation_or_rule_error(
        "Not an image, a kind of image not taken, more than PHOTO_MAX_PIXELS pixels, or more "
        "than PHOTO_MAX_PER_COOK photos; `detail` says which"
    ),
}
# A year, and never revalidated: the content hash in the path changes with the content.
IMMUTABLE = "public, max-age=31536000, immutable"
_FILE_NAME = re.compile(r"(\d{1,9})-([0-9a-f]{16})-(\d{1,4})\.webp")


def get_photo_limits(request: Request) -> PhotoLimits:
    limits: PhotoLimits = request_state(request).photo_limits
    return limits


PhotoLimitsDep = Annotated[PhotoLimits, Depends(get_photo_limits)]


@router.get("/{recipe_id:recipe_ref}/photo", response_model=PhotoOut, responses=_NOT_FOUND)
async def get_photo(recipe_id: RecipeId, db: DatabaseDep) -> PhotoOut:
    """The recipe's photo: a URL per width and a ready `srcset` (`url` null when it has none)."""
    return await service.get_photo(db, recipe_id)


@router.put(
    "/{recipe_id:recipe_ref}/photo",
    response_model=PhotoOut,
    responses={**errors(400, 401, 403), **_NOT_FOUND, **_REFUSED},
)
async def put_photo(
    recipe_id: RecipeId,
    photo: Annotated[UploadFile, File(description="JPEG, PNG, WebP, GIF (first frame) or AVIF")],
    user: CurrentUser,
    db: DatabaseDep,
    limits: PhotoLimitsDep,
) -> PhotoOut:
    """Upload the recipe's photo (multipart, field `photo`), replacing any it had.

    Checked to be an image, turned upright, stripped of its metadata (EXIF,
    GPS) and stored as WebP in widths of 320, 640, 1024 and 1600 px (never
    wider than the original). The recipe's submitter or a superuser only.
    """
    data = await photo.read(limits.max_bytes + 1)
    return await service.store_photo(db, recipe_id, data, limits=limits, origin="upload", user=user)


@router.delete(
    "/{recipe_id:recipe_ref}/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**errors(401, 403), **errors(404, _404="No recipe has this ID, or it has no photo")},
)
async def delete_photo(recipe_id: RecipeId, user: CurrentUser, db: DatabaseDep) -> Response:
    """Remove the recipe's photo (its URLs stop answering); 404 when it has none."""
    await service.remove_photo(db, recipe_id, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@files.get("/media/photos/{name}")
async def photo_file(name: str, request: Request, db: DatabaseDep) -> Response:
    """One rendition, from the database; cached for a year by anyone (the hash is in the path)."""
    match = _FILE_NAME.fullmatch(name)
    if match is None:
        return _no_photo()
    photo_id, content_hash, width = int(match[1]), match[2], int(match[3])
    etag = f'"{content_hash}-{width}"'
    headers = {"cache-control": IMMUTABLE}
    if client_has(request, etag):
        return not_modified(etag, headers)
    data = await service.photo_file(db, photo_id, content_hash, width)
    if data is None:
        return _no_photo()
    return Response(data, media_type="image/webp", headers={**headers, "etag": etag})


def _no_photo() -> Response:
    return Response(
        b'{"detail":"No such photo"}',
        status_code=404,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )
