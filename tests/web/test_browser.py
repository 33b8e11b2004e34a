"""The home page in a real browser: headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import LiveServer, skip_or_fail

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (Debian package 'chromium')")
    return CHROMIUM


async def test_home_page_is_styled_in_chromium(
    live_server: LiveServer, chromium_path: str, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 800})
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            response = await page.goto(live_server.url + "/", wait_until="networkidle")
            assert response is not None and response.status == 200
            labels = await page.locator(".recipe-label").all_inner_texts()
            assert {
                "Chicken Vesuvio",
                "Chicken Paprikash",
                "Cauliflower and Tofu Curry Recipe",
            } <= {label.strip() for label in labels}
            # The stylesheet was applied, not just linked: computed styles differ
            # from the browser's defaults.
            header_bg = await page.eval_on_selector(
                ".site-header", "e => getComputedStyle(e).backgroundImage"
            )
            assert "linear-gradient" in header_bg
            display = await page.eval_on_selector(".recipes", "e => getComputedStyle(e).display")
            assert display == "grid"
            radius = await page.eval_on_selector(
                ".recipe-card", "e => getComputedStyle(e).borderTopLeftRadius"
            )
            assert radius == "14px"
            assert await page.locator("a[href='/docs']").count() >= 1
            assert failed == []
            await page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
        finally:
            await browser.close()
