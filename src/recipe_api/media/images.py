"""Checking an uploaded image and re-encoding it: Pillow, no database, no event loop.

What arrives is untrusted bytes. Only the decoders of the formats we take are
tried (``Image.open(formats=...)``), the header's size is checked against the
pixel limit before a pixel is decoded, the file is verified, then decoded
once: turned upright by its EXIF orientation, stripped of every piece of
metadata (EXIF with its GPS position, XMP, ICC comments) by building new
images from the pixels alone, and encoded as WebP at each width of
:data:`WIDTHS` no wider than the original. Decision 0019 has the measurements.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from recipe_api.errors import AppError

if TYPE_CHECKING:
    from PIL.Image import Image

# A card, a card on a wide screen or twice as dense, the recipe page, its 2x.
WIDTHS = (320, 640, 1024, 1600)
WEBP_QUALITY = 80
WEBP_METHOD = 4  # libwebp's default speed/size trade-off
# An import job encodes hundreds of photos at once: libwebp's method 2 takes
# half the CPU of method 4 for the same bytes within 1 % (decision 0027).
WEBP_METHOD_BULK = 2
# Pillow's own guard, the same everywhere in the process: our explicit check
# below comes first and is stricter, so this only backs it up.
PILLOW_MAX_PIXELS = 100_000_000


@cache
def _pillow() -> ModuleType:
    """``PIL.Image``, imported on the first photo: a worker that never gets one saves its 3 MB."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = PILLOW_MAX_PIXELS
    return Image


@cache
def accepted_formats() -> tuple[str, ...]:
    """The formats whose decoders are tried: AVIF when this Pillow has it."""
    from PIL import features

    return ("JPEG", "PNG", "WEBP", "GIF") + (("AVIF",) if features.check("avif") else ())


# Encodes at once in this process: each holds a decoded photo (up to
# PHOTO_MAX_PIXELS x 4 bytes) and a core. One core is left for the event loop.
_ENCODERS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))


class PhotoError(AppError):
    """An image we do not take: 422 with the reason."""

    status_code = 422


class NotAnImageError(PhotoError):
    pass


class UnsupportedFormatError(PhotoError):
    pass


class TooManyPixelsError(PhotoError):
    pass


class PhotoTooLargeError(PhotoError):
    status_code = 413


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    max_per_cook: int


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class PreparedPhoto:
    """What a stored photo is made of: its renditions, smallest first, and their hash."""

    renditions: tuple[Rendition, ...]
    content_hash: str

    @property
    def largest(self) -> Rendition:
        return self.renditions[-1]


def widths_for(width: int) -> list[int]:
    """The widths to make of an image ``width`` wide: never wider than it is."""
    smaller = [w for w in WIDTHS[:-1] if w < width]
    return [*smaller, min(width, WIDTHS[-1])]


def prepare_photo(data: bytes, limits: PhotoLimits, *, method: int = WEBP_METHOD) -> PreparedPhoto:
    """Checks ``data`` is an image we take and makes its renditions (CPU-bound: run in a thread).

    ``method`` is libwebp's speed/size trade-off (0 fastest, 6 smallest).
    """
    if len(data) > limits.max_bytes:
        raise PhotoTooLargeError(
            f"The photo is {len(data) / 1_048_576:.1f} MB; at most "
            f"{limits.max_bytes / 1_048_576:g} MB is taken"
        )
    if not data:
        raise NotAnImageError("The file is empty: choose a photo (JPEG, PNG, WebP, GIF or AVIF)")
    _check_header(data, limits)
    with _ENCODERS:
        return _encode(data, method)


def prepare_or_reason(data: bytes, limits: PhotoLimits, method: int) -> PreparedPhoto | str:
    """``prepare_photo``, or why the photo is refused: for a process pool (plain results)."""
    try:
        return prepare_photo(data, limits, method=method)
    except PhotoError as exc:
        return str(exc.detail)


def _open(data: bytes) -> Image:
    from PIL import UnidentifiedImageError

    pil = _pillow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pil.DecompressionBombWarning)
            image: Image = pil.open(io.BytesIO(data), formats=accepted_formats())
            return image
    except pil.DecompressionBombError:
        raise TooManyPixelsError(
            f"The image has too many pixels (over {2 * PILLOW_MAX_PIXELS / 1e6:g} megapixels)"
        ) from None
    except UnidentifiedImageError:
        if _is_other_image(data):
            raise UnsupportedFormatError(
                "This kind of image is not taken: send a JPEG, PNG, WebP, GIF or AVIF"
            ) from None
        raise NotAnImageError(
            "The file is not an image: send a photo (JPEG, PNG, WebP, GIF or AVIF)"
        ) from None


def _is_other_image(data: bytes) -> bool:
    """An image in a format we do not take (HEIC, TIFF, BMP, SVG...), to say so plainly."""
    head = data[:64]
    return (
        head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif")
        or head.startswith((b"II*\x00", b"MM\x00*", b"BM", b"\x00\x00\x01\x00"))
        or b"<svg" in data[:1024].lower()
    )


def _check_header(data: bytes, limits: PhotoLimits) -> None:
    """Format, size and integrity, from the header and a verify pass: nothing decoded yet."""
    image = _open(data)
    try:
        pixels = image.width * image.height
        if pixels > limits.max_pixels:
            raise TooManyPixelsError(
                f"The image is {image.width} x {image.height} pixels "
                f"({pixels / 1e6:.0f} megapixels); at most {limits.max_pixels / 1e6:g} "
                "megapixels are taken"
            )
        try:
            image.verify()
        except Exception:
            raise NotAnImageError("The image is damaged: it could not be read") from None
    finally:
        image.close()


def _encode(data: bytes, method: int) -> PreparedPhoto:
    from PIL import ImageOps

    pil = _pillow()
    with _open(data) as image:
        try:
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # an animation: its first frame
            # JPEG: decode straight at a fraction of the size (DCT scaling) when
            # the largest rendition needs no more.
            image.draft("RGB", (WIDTHS[-1], WIDTHS[-1]))
            image.load()
            upright = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError, pil.DecompressionBombError):
            raise NotAnImageError("The image is damaged: it could not be read") from None
        alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        # convert() makes a new image of the pixels alone: no EXIF, XMP or comments.
        pixels = upright.convert("RGBA" if alpha else "RGB")
    pixels.info = {}
    renditions = []
    for width in widths_for(pixels.width):
        height = max(1, round(pixels.height * width / pixels.width))
        sized = (
            pixels
            if width == pixels.width
            else pixels.resize((width, height), pil.Resampling.LANCZOS, reducing_gap=3.0)
        )
        out = io.BytesIO()
        sized.save(out, "WEBP", quality=WEBP_QUALITY, method=method)
        renditions.append(Rendition(width, sized.height, out.getvalue()))
    digest = hashlib.sha256()
    for rendition in renditions:
        digest.update(rendition.data)
    return PreparedPhoto(tuple(renditions), digest.hexdigest()[:16])
