"""The home page with 24 photos stays light in Chromium, and axe finds nothing on it.

A site of its own (SQLite): 24 recipes, each with a different photo uploaded
through the API. Lazy loading keeps the cards below the fold from loading, and
cards never fetch more than the 640 px copy, even on a phone's 3x screen.
The throttled figures (bytes, largest contentful paint) are bench/home_weight.py's.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.conftest import LiveServer
from tests.email.smtp import Mailbox
from tests.web.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, DESKTOP, PHONE, _served_site

if TYPE_CHECKING:
    from playwright.async_api import Browser

RECIPES = 24


def _photo(seed: int) -> bytes:
    """An 800x533 JPEG (copies of 320, 640, 800 px): coloured shapes on a gradient, per seed."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((800, 533)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rng.randrange(800), rng.randrange(533), rng.choice([15, 50, 150])
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo_site(
    tmp_path_factory: pytest.TempPathFactory, site_mailbox: tuple[int, Mailbox]
) -> Iterator[LiveServer]:
    workdir: Path = tmp_path_factory.mktemp("home-weight")
    with _served_site("sqlite", workdir, site_mailbox[0]) as served:
        client = httpx.Client(base_url=served.url + "/api/v1", timeout=60)
        token = client.post(
            "/auth/login", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        for n in range(RECIPES):
            made = client.post("/recipes/", json={"label": f"Dish {n + 1}"})
            made.raise_for_status()
            client.put(
                f"/recipes/{made.json()['id']}/photo",
                files={"photo": ("dish.jpg", _photo(n), "image/jpeg")},
            ).raise_for_status()
        client.close()
        yield served


async def _load(
    browser: Browser, url: str, viewport: dict[str, int], scale: int
) -> tuple[int, list[str]]:
    """Bytes transferred for one load with an empty cache, and the image URLs fetched."""
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        device_scale_factor=scale,
    )
    try:
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        images: dict[str, str] = {}
        sizes: dict[str, int] = {}
        cdp.on(
            "Network.responseReceived",
            lambda e: (
                images.__setitem__(e["requestId"], e["response"]["url"])
                if e["type"] == "Image"
                else None
            ),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )
        await page.goto(url + "/", wait_until="networkidle")
        assert await page.locator("img.card-photo").count() == RECIPES
        return sum(sizes.values()), list(images.values())
    finally:
        await context.close()


@pytest.mark.parametrize(
    ("viewport", "scale", "most_images", "most_kb"),
    [(PHONE, 3, 6, 200), (DESKTOP, 1, 20, 250)],
    ids=["phone-3x", "desktop"],
)
async def test_the_home_page_with_24_photos_loads_only_what_shows(
    photo_site: LiveServer,
    browser: Browser,
    viewport: dict[str, int],
    scale: int,
    most_images: int,
    most_kb: int,
) -> None:
    total, images = await _load(browser, photo_site.url, viewport, scale)
    assert 0 < len(images) <= most_images, images
    assert all(url.endswith(("-320.webp", "-640.webp")) for url in images), images
    assert total < most_kb * 1024, total


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_the_home_page_with_photos_has_no_axe_violations(
    photo_site: LiveServer, browser: Browser, viewport: dict[str, int], scheme: str
) -> None:
    from axe_playwright_python.async_playwright import Axe

    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    try:
        page = await context.new_page()
        await page.goto(photo_site.url + "/", wait_until="networkidle")
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        await page.wait_for_load_state("networkidle")
        results = await Axe().run(page)
        assert results.response["violations"] == [], results.response["violations"]
    finally:
        await context.close()
