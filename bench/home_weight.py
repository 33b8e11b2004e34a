"""How heavy the home page is with 24 photos, against the same page without them.

``recipe-api serve`` (one uvicorn worker, a fresh SQLite database) on a free
127.0.0.1 port. Twenty-four recipes are added through the API and the home
page is loaded in Chromium at 390 px and 1280 px, fresh cache each time, under
a throttled profile (CDP: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up, CPU
4x slower). Then each recipe gets a different 3000x2000 JPEG (a coloured
gradient with noise, 2-4 MB) through ``PUT /api/v1/recipes/{id}/photo`` and
the page is loaded again. For each load: bytes transferred (CDP's
``encodedDataLength`` of every response, headers included), image requests,
and the largest contentful paint. With photos, axe-core runs on the page at
both widths, light and dark.

    .venv/bin/python bench/home_weight.py
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import free_port, server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN = "admin@recipeapi.com"
PASSWORD = "bench password 123"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
# Loads: width, height, device pixel ratio (a phone's screen has 3 pixels to a CSS pixel).
LOADS = {"390 px": (390, 844, 1), "390 px at 3x": (390, 844, 3), "1280 px": (1280, 900, 1)}
RECIPES = 24
# "Fast 3G"-like: what the issue asks for.
NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
CPU_SLOWDOWN = 4
LCP_SCRIPT = """
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__lcp = entry.startTime;
}).observe({type: "largest-contentful-paint", buffered: true});
"""


def photo_jpeg(seed: int, width: int = 3000, height: int = 2000, *, noise: bool = True) -> bytes:
    """A photo-like JPEG: a gradient in two colours of its own, shapes, noise; no two alike.

    Without ``noise`` (the screenshots), its copies compress as well as a tidy photo's.
    """
    from PIL import Image

    rng = random.Random(seed)
    start = tuple(rng.randrange(256) for _ in range(3))
    end = tuple(rng.randrange(256) for _ in range(3))
    ramp = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270]))
    ramp = ramp.resize((width, height))
    coloured = Image.merge(
        "RGB",
        [
            ramp.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
            for a, b in zip(start, end, strict=True)
        ],
    )
    # Shapes of every size, so that small copies keep detail as a photo's do.
    from PIL import ImageDraw, ImageFilter

    draw = ImageDraw.Draw(coloured)
    for _ in range(120):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.choice([20, 60, 150, 400])
        fill = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r * 2 // 3, x + r, y + r * 2 // 3), fill=fill)
    coloured = coloured.filter(ImageFilter.GaussianBlur(3))
    image = coloured
    if noise:
        grain = Image.effect_noise((width, height), 40 + seed % 30).convert("RGB")
        image = Image.blend(coloured, grain, 0.2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Load:
    bytes: int
    requests: int
    images: int
    image_bytes: int
    lcp_ms: float


async def load_home(browser: Any, base: str, width: int, height: int, scale: int) -> Load:
    """One throttled load of the home page in a fresh context (empty cache)."""
    context = await browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    page = await context.new_page()
    await page.add_init_script(LCP_SCRIPT)
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    await cdp.send("Network.emulateNetworkConditions", NETWORK)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    kinds: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    await page.goto(base + "/", wait_until="load", timeout=120_000)
    await page.wait_for_load_state("networkidle", timeout=120_000)
    await page.wait_for_timeout(500)
    lcp = float(await page.evaluate("window.__lcp"))
    await context.close()
    images = [rid for rid, kind in kinds.items() if kind == "Image"]
    return Load(
        bytes=sum(sizes.values()),
        requests=len(sizes),
        images=len(images),
        image_bytes=sum(sizes.get(rid, 0) for rid in images),
        lcp_ms=lcp,
    )


async def axe_violations(browser: Any, base: str) -> dict[str, list[str]]:
    from axe_playwright_python.async_playwright import Axe

    found: dict[str, list[str]] = {}
    for name, (width, height) in WIDTHS.items():
        for scheme in ("light", "dark"):
            context = await browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            page = await context.new_page()
            await page.goto(base + "/", wait_until="networkidle")
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            await page.wait_for_load_state("networkidle")
            results = await Axe().run(page)
            found[f"{name} {scheme}"] = [
                f"{v['id']}: {[n['target'] for n in v['nodes']]}"
                for v in results.response["violations"]
            ]
            await context.close()
    return found


def seed(base: str) -> tuple[str, list[int]]:
    token = httpx.post(
        f"{base}/api/v1/auth/login", data={"username": ADMIN, "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ids = []
    for n in range(RECIPES):
        answer = httpx.post(
            f"{base}/api/v1/recipes/",
            json={
                "label": f"Bench dish {n + 1}",
                "ingredients": ["2 eggs", "100 g flour"],
                "instructions": ["Mix.", "Bake."],
                "tags": ["bench"],
            },
            headers=headers,
        )
        answer.raise_for_status()
        ids.append(int(answer.json()["id"]))
    return token, ids


def add_photos(base: str, token: str, ids: list[int]) -> int:
    uploaded = 0
    for n, recipe_id in enumerate(ids):
        body = photo_jpeg(n)
        uploaded += len(body)
        answer = httpx.put(
            f"{base}/api/v1/recipes/{recipe_id}/photo",
            files={"photo": (f"dish-{n}.jpg", body, "image/jpeg")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        answer.raise_for_status()
    return uploaded


def _row(label: str, load: Load) -> str:
    return (
        f"| {label} | {load.bytes / 1024:,.0f} KB | {load.requests} | {load.images} "
        f"({load.image_bytes / 1024:,.0f} KB) | {load.lcp_ms:,.0f} ms |"
    )


async def measure(base: str, token: str, ids: list[int]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        before = {name: await load_home(browser, base, *size) for name, size in LOADS.items()}
        uploaded = await asyncio.to_thread(add_photos, base, token, ids)
        print(f"uploaded {RECIPES} JPEGs, {uploaded / 1e6:.1f} MB in all", flush=True)
        after = {name: await load_home(browser, base, *size) for name, size in LOADS.items()}
        print("| home page | bytes | requests | images (bytes) | LCP (throttled) |")
        print("| --- | --- | --- | --- | --- |")
        for name in LOADS:
            print(_row(f"{name}, no photos", before[name]))
            print(_row(f"{name}, 24 photos", after[name]))
        violations = await axe_violations(browser, base)
        for where, found in violations.items():
            print(f"axe, {where}: {found or 'no violations'}")
        await browser.close()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="home-weight-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'home.db'}",
        "SECRET_KEY_FILE": str(workdir / "key"),
        "FIRST_SUPERUSER_PASSWORD": PASSWORD,
        "LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port)]
    with server(argv, port, env, ready_path="/health/ready"):
        token, ids = seed(base)
        asyncio.run(measure(base, token, ids))


if __name__ == "__main__":
    main()
