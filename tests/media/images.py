"""Real images made with Pillow for the photo tests."""

from __future__ import annotations

import io

from PIL import Image


def photo(
    width: int = 1200, height: int = 800, fmt: str = "JPEG", *, orientation: int | None = None
) -> bytes:
    """A photo-like image: a gradient with a red block in its top-left corner.

    With ``orientation``, EXIF says to turn it (and carries a GPS tag and a
    camera name, which must not survive).
    """
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    image.paste((220, 20, 20), (0, 0, width // 4, height // 4))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 12"  # Model
        if orientation is not None:
            exif[0x0112] = orientation
        exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: a latitude
        image.save(out, "JPEG", quality=85, exif=exif)
    elif fmt == "GIF":
        frames = [image.convert("P"), Image.new("P", (width, height), 3)]
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    else:
        image.save(out, fmt)
    return out.getvalue()


def bomb(side: int = 20_000) -> bytes:
    """A PNG of ``side`` x ``side`` black pixels: a few hundred KB that decode to gigabytes."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        out = io.BytesIO()
        Image.new("1", (side, side)).save(out, "PNG", optimize=True)
        return out.getvalue()
    finally:
        Image.MAX_IMAGE_PIXELS = saved
