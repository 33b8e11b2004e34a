"""store_photo with real images made by Pillow, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from PIL import Image

from recipe_api.db.engine import Database
from recipe_api.media import service
from recipe_api.media.images import (
    NotAnImageError,
    PhotoLimits,
    PhotoTooLargeError,
    TooManyPixelsError,
    UnsupportedFormatError,
    prepare_photo,
    widths_for,
)
from tests.conftest import Account
from tests.media.images import bomb, photo

LIMITS = PhotoLimits(max_bytes=5 * 1024 * 1024, max_pixels=40_000_000, max_per_cook=3)


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_sizes_are_made_and_never_wider_than_the_original() -> None:
    prepared = prepare_photo(photo(2000, 1500), LIMITS)
    assert [r.width for r in prepared.renditions] == [320, 640, 1024, 1600]
    for rendition in prepared.renditions:
        image = _open(rendition.data)
        assert image.format == "WEBP"
        assert image.size == (rendition.width, rendition.height)
        assert rendition.height == round(1500 * rendition.width / 2000)
    small = prepare_photo(photo(500, 300), LIMITS)
    assert [r.width for r in small.renditions] == [320, 500]
    assert widths_for(200) == [200]
    assert widths_for(4032) == [320, 640, 1024, 1600]


def test_metadata_is_stripped_and_the_orientation_applied() -> None:
    # Orientation 6: the camera was turned; the stored image must be upright (taller than wide).
    original = photo(1200, 800, orientation=6)
    assert _open(original).getexif()[0x8825]  # the GPS tag is there to begin with
    prepared = prepare_photo(original, LIMITS)
    largest = _open(prepared.largest.data)
    assert largest.size == (800, 1200)
    assert not largest.getexif()
    assert "exif" not in largest.info and "xmp" not in largest.info
    assert b"PhoneMaker" not in prepared.largest.data
    # The red corner was top-left; turned 90° clockwise it is top-right.
    rgb = largest.convert("RGB")
    red, _, blue = rgb.getpixel((largest.width - 10, 10))  # type: ignore[misc]
    assert red > 150 and blue < 100


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "AVIF"])
def test_other_formats_are_taken(fmt: str) -> None:
    prepared = prepare_photo(photo(700, 400, fmt), LIMITS)
    assert [r.width for r in prepared.renditions] == [320, 640, 700]
    assert _open(prepared.largest.data).format == "WEBP"


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    data = bomb()
    assert len(data) < 200_000
    with pytest.raises(TooManyPixelsError, match="too many pixels"):
        prepare_photo(data, LIMITS)
    # The explicit setting is the limit, below Pillow's own.
    with pytest.raises(TooManyPixelsError):
        prepare_photo(photo(2000, 1500), PhotoLimits(5_000_000, 2_000_000, 3))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"%PDF-1.4 not a photo at all", NotAnImageError),
        (b"", NotAnImageError),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", UnsupportedFormatError),
        (b"BM" + b"\0" * 100, UnsupportedFormatError),
    ],
)
def test_what_is_not_an_image_we_take_is_refused(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        prepare_photo(data, LIMITS)
    assert caught.value.status_code == 422  # type: ignore[attr-defined]


def test_a_truncated_image_is_refused() -> None:
    data = photo(1200, 800)
    with pytest.raises(NotAnImageError, match="damaged"):
        prepare_photo(data[: len(data) // 2], LIMITS)


def test_too_many_bytes_is_413() -> None:
    with pytest.raises(PhotoTooLargeError) as caught:
        prepare_photo(photo(), PhotoLimits(10_000, 40_000_000, 3))
    assert caught.value.status_code == 413


async def test_store_photo_keeps_the_sizes_in_the_database(
    app: FastAPI, db: Database, superuser: Account
) -> None:
    stored = await service.store_photo(db, 1, photo(2000, 1000), limits=LIMITS, origin="upload")
    assert [size.width for size in stored.sizes] == [320, 640, 1024, 1600]
    assert stored.srcset.endswith(" 1600w")
    for size in stored.sizes:
        photo_id, content_hash, width = size.url.removeprefix("/media/photos/")[:-5].split("-")
        data = await service.photo_file(db, int(photo_id), content_hash, int(width))
        assert data is not None and _open(data).size == (size.width, size.height)
    # A new photo replaces the old: new id, and the old URLs answer nothing.
    again = await service.store_photo(db, 1, photo(800, 600), limits=LIMITS, origin="upload")
    assert again.url != stored.url
    old = stored.sizes[0].url.removeprefix("/media/photos/")[:-5].split("-")
    assert await service.photo_file(db, int(old[0]), old[1], int(old[2])) is None
    assert (await service.get_photo(db, 1)).url == again.url
    found = await service.photos_for(db, [await _recipe(db, 1), await _recipe(db, 2)])
    assert set(found) == {1}
    assert found[1].srcset == again.srcset


async def test_a_cook_may_keep_so_many_photos(
    app: FastAPI, db: Database, superuser: Account
) -> None:
    limits = PhotoLimits(5 * 1024 * 1024, 40_000_000, max_per_cook=2)
    await service.store_photo(db, 1, photo(400, 300), limits=limits, origin="upload")
    await service.store_photo(db, 2, photo(400, 300), limits=limits, origin="upload")
    # Replacing one is not one more.
    await service.store_photo(db, 2, photo(500, 300), limits=limits, origin="upload")
    with pytest.raises(service.TooManyPhotosError, match="most a cook"):
        await service.store_photo(db, 3, photo(400, 300), limits=limits, origin="upload")


async def _recipe(db: Database, recipe_id: int):  # type: ignore[no-untyped-def]
    from recipe_api.recipes.service import get_recipe

    return await get_recipe(db, recipe_id)
