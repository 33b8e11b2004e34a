"""Photo use cases: store (check, re-encode, keep), remove, describe, serve, bring from an import.

Re-encoding is CPU work: it runs in a thread (``asyncio.to_thread``) and at
most one encode per spare core runs at once (``images._ENCODERS``). Storing
is one unit of work, with the ownership and the per-cook count checked in it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.errors import AppError, NotFoundError
from recipe_api.media import repository
from recipe_api.media.images import (
    PhotoError,
    PhotoLimits,
    PreparedPhoto,
    prepare_photo,
    widths_for,
)
from recipe_api.media.schemas import PhotoOut, PhotoSize
from recipe_api.recipes import service as recipes
from recipe_api.recipes.importer import Importer
from recipe_api.recipes.schemas import RecipeOut
from recipe_api.settings import Settings
from recipe_api.users.schemas import UserOut

log = logging.getLogger(__name__)

ORIGINS = ("upload", "import")
PATH_PREFIX = "/media/photos/"


class TooManyPhotosError(PhotoError):
    status_code = 422


def limits_from_settings(settings: Settings) -> PhotoLimits:
    return PhotoLimits(
        max_bytes=settings.photo_max_mb * 1024 * 1024,
        max_pixels=settings.photo_max_pixels,
        max_per_cook=settings.photo_max_per_cook,
    )


def photo_path(photo_id: int, content_hash: str, width: int) -> str:
    return f"{PATH_PREFIX}{photo_id}-{content_hash}-{width}.webp"


def describe(row: Mapping[Any, Any], widths: Iterable[int]) -> PhotoOut:
    sizes = [
        PhotoSize(
            width=w,
            height=max(1, round(row["height"] * w / row["width"])),
            url=photo_path(row["id"], row["content_hash"], w),
        )
        for w in widths
    ]
    return PhotoOut(
        recipe_id=row["recipe_id"],
        url=sizes[-1].url,
        width=row["width"],
        height=row["height"],
        srcset=", ".join(f"{s.url} {s.width}w" for s in sizes),
        sizes=sizes,
    )


def _store(
    connection: Connection,
    recipe_id: int,
    prepared: PreparedPhoto,
    origin: str,
    user: UserOut | None,
    max_per_cook: int,
) -> PhotoOut:
    if user is not None:
        recipe = recipes._changeable(connection, recipe_id, user)
    else:
        recipe = recipes.existing_recipe(connection, recipe_id)
    cook_id = recipe.submitter_id
    existing = repository.photo_of(connection, recipe_id)
    others = repository.photo_count(connection, cook_id) - (existing is not None)
    if others >= max_per_cook:
        raise TooManyPhotosError(
            f"You have {others} photos, the most a cook may keep ({max_per_cook}): "
            "remove one from another recipe first"
        )
    row = repository.add_photo(connection, recipe_id, cook_id, prepared, origin)
    return describe(row, (r.width for r in prepared.renditions))


def store_in(
    connection: Connection, recipe_id: int, prepared: PreparedPhoto, origin: str, max_per_cook: int
) -> PhotoOut:
    """A prepared photo made the recipe's, in the caller's unit of work (an import job's)."""
    return _store(connection, recipe_id, prepared, origin, None, max_per_cook)


async def prepare(data: bytes, limits: PhotoLimits) -> PreparedPhoto:
    """The checks and the renditions, off the event loop (PhotoError when refused)."""
    return await asyncio.to_thread(prepare_photo, data, limits)


async def save_prepared(
    db: Database,
    recipe_id: int,
    prepared: PreparedPhoto,
    *,
    limits: PhotoLimits,
    origin: str,
    user: UserOut | None = None,
) -> PhotoOut:
    return await db.run(_store, recipe_id, prepared, origin, user, limits.max_per_cook)


async def store_photo(
    db: Database,
    recipe_id: int,
    data: bytes,
    *,
    limits: PhotoLimits,
    origin: str,
    user: UserOut | None = None,
) -> PhotoOut:
    """Checks ``data`` is an image we take, re-encodes it and makes it the recipe's photo.

    With ``user``, only the recipe's submitter or a superuser may (403). The
    per-cook count counts the photos of the recipe's submitter; a replaced
    photo does not count. ``PhotoError`` (422, 413) says what is wrong.
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}")
    prepared = await prepare(data, limits)
    return await save_prepared(db, recipe_id, prepared, limits=limits, origin=origin, user=user)


def _remove(connection: Connection, recipe_id: int, user: UserOut) -> bool:
    recipes._changeable(connection, recipe_id, user)
    return repository.remove_photo(connection, recipe_id)


class NoPhotoError(NotFoundError):
    pass


async def remove_photo(db: Database, recipe_id: int, *, user: UserOut) -> None:
    """Removes the recipe's photo (its URLs then answer 404); ``NoPhotoError`` if it had none."""
    if not await db.run(_remove, recipe_id, user):
        raise NoPhotoError(f"Recipe {recipe_id} has no photo to remove")


def _photo(connection: Connection, recipe_id: int) -> PhotoOut | None:
    row = repository.photo_of(connection, recipe_id)
    if row is None:
        recipes.existing_recipe(connection, recipe_id)
        return None
    return describe(row, repository.widths_of(connection, row["id"]))


async def get_photo(db: Database, recipe_id: int) -> PhotoOut:
    """The recipe's photo (without ``url`` when it has none); 404 for no such recipe."""
    photo = await db.read(_photo, recipe_id)
    return PhotoOut(recipe_id=recipe_id, url=None) if photo is None else photo


def _photos(connection: Connection, recipe_ids: list[int]) -> dict[int, PhotoOut]:
    found: dict[int, PhotoOut] = {}
    for row in repository.photos_of(connection, recipe_ids):
        # The widths follow from the stored size: no second query per card.
        found[row["recipe_id"]] = describe(row, widths_for(row["width"]))
    return found


async def photos_for(db: Database, recipes_: Iterable[RecipeOut]) -> dict[int, PhotoOut]:
    """The photos of these recipes, by recipe id (those without one are absent)."""
    ids = [recipe.id for recipe in recipes_]
    if not ids:
        return {}
    if len(ids) > repository.PHOTOS_AT_ONCE:
        return await db.read(_photos, ids)
    rows = await db.read_statement(repository.PHOTOS_OF_PAGE, repository.page_parameters(ids))
    return {row["recipe_id"]: describe(row, widths_for(row["width"])) for row in rows}


def _file(connection: Connection, photo_id: int, content_hash: str, width: int) -> bytes | None:
    return repository.file_data(connection, photo_id, content_hash, width)


async def photo_file(db: Database, photo_id: int, content_hash: str, width: int) -> bytes | None:
    return await db.read(_file, photo_id, content_hash, width)


async def bring_photo(
    db: Database, importer: Importer, recipe: RecipeOut, limits: PhotoLimits
) -> PhotoOut | None:
    """The imported page's image as the recipe's photo, fetched as the page was.

    Best effort: an image that cannot be fetched or is refused leaves the
    recipe without a photo (its ``image_url`` stays), never fails the import.
    """
    if not recipe.image_url:
        return None
    try:
        data = await importer.fetch_image(recipe.image_url, limits.max_bytes)
        return await store_photo(db, recipe.id, data, limits=limits, origin="import")
    except AppError as exc:
        log.info("The imported recipe %s keeps no photo: %s", recipe.id, exc.detail)
    except Exception:
        log.warning("The imported recipe %s keeps no photo", recipe.id, exc_info=True)
    return None
