"""Pillow against pyvips for the photo pipeline: decode, resize to four widths, encode.

Run in a virtual environment holding both (pyvips is not a dependency of the
service): ``pip install pillow pyvips pyvips-binary psutil`` then
``python bench/photo_libraries.py``. Each measurement runs in a fresh child
process so its peak memory is its own. The source is a 4032 x 3024 JPEG (a
12 MP phone photo's size): a real photo, upscaled, with sensor-like noise added
so the encoders see texture rather than flat areas.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

WIDTHS = (320, 640, 1024, 1600)
QUALITY_WEBP = 80
QUALITY_AVIF = 60
SOURCE = Path("/tmp/photo-bench-12mp.jpg")
REAL = Path(
    "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/"
    "embedded-book/assets/f3.jpg"
)


def make_source() -> None:
    from PIL import Image, ImageChops

    if SOURCE.exists():
        return
    with Image.open(REAL) as real:
        big = real.convert("RGB").resize((4032, 3024), Image.Resampling.LANCZOS)
    noise = Image.effect_noise((4032, 3024), 24).convert("RGB")
    ImageChops.add(big, noise, scale=1.0, offset=-12).save(SOURCE, quality=90)


def pillow(fmt: str) -> dict[str, float]:
    from PIL import Image, ImageOps

    data = SOURCE.read_bytes()
    started = time.perf_counter()
    sizes = []
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (1600, 1600))  # JPEG's DCT scaling: decode at 1/2 size when enough
        im = ImageOps.exif_transpose(im).convert("RGB")
        for width in WIDTHS:
            height = round(im.height * width / im.width)
            small = im.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            out = io.BytesIO()
            if fmt == "webp":
                small.save(out, "WEBP", quality=QUALITY_WEBP, method=4)
            else:
                small.save(out, "AVIF", quality=QUALITY_AVIF, speed=8)
            sizes.append(out.tell())
    return {"seconds": time.perf_counter() - started, "bytes_640": sizes[1], "bytes": sum(sizes)}


def vips(fmt: str) -> dict[str, float]:
    import pyvips

    data = SOURCE.read_bytes()
    started = time.perf_counter()
    sizes = []
    for width in WIDTHS:
        # thumbnail_buffer shrinks on load (JPEG DCT scaling) and applies the orientation.
        small = pyvips.Image.thumbnail_buffer(data, width, height=100_000)
        if fmt == "webp":
            out = small.webpsave_buffer(Q=QUALITY_WEBP, strip=True)
        else:
            out = small.heifsave_buffer(Q=QUALITY_AVIF, compression="av1", effort=2, strip=True)
        sizes.append(len(out))
    return {"seconds": time.perf_counter() - started, "bytes_640": sizes[1], "bytes": sum(sizes)}


def bomb(library: str) -> str:
    """A 30000 x 30000 PNG of zeros (a few hundred KB): what each library does on open."""
    from PIL import Image

    path = Path("/tmp/photo-bench-bomb.png")
    if not path.exists():
        Image.MAX_IMAGE_PIXELS = None
        Image.new("L", (30000, 30000)).save(path, optimize=True)
    data = path.read_bytes()
    if library == "pillow":
        Image.MAX_IMAGE_PIXELS = 40_000_000
        try:
            Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            return f"refused on open (header only): {exc}"[:120]
        return "opened"
    import pyvips

    im = pyvips.Image.new_from_buffer(data, "")
    return f"opened lazily, {im.width}x{im.height}: no limit of its own, check width*height first"


def child(library: str, fmt: str) -> None:
    runs = [pillow(fmt) if library == "pillow" else vips(fmt) for _ in range(3)]
    best = min(runs, key=lambda r: r["seconds"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**best, "peak_rss_mb": round(peak_mb, 1)}))


def main() -> None:
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
        return
    make_source()
    print(f"source: {SOURCE.stat().st_size:,} bytes, 4032x3024")
    print(
        "| library | format | seconds (4 widths) | bytes at 640 | bytes, 4 widths | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|")
    for library in ("pillow", "pyvips"):
        for fmt in ("webp", "avif"):
            out = subprocess.run(
                [sys.executable, __file__, library, fmt], capture_output=True, text=True
            )
            if out.returncode:
                print(f"| {library} | {fmt} | failed: {out.stderr.strip()[-200:]} |")
                continue
            r = json.loads(out.stdout)
            print(
                f"| {library} | {fmt} | {r['seconds']:.3f} | {r['bytes_640']:,} | "
                f"{r['bytes']:,} | {r['peak_rss_mb']} |"
            )
    for library in ("pillow", "pyvips"):
        print(f"bomb, {library}: {bomb(library)}")


if __name__ == "__main__":
    main()
