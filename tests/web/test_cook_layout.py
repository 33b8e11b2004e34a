"""The recipe page as a cook uses it, in Chromium: layout, ticks, servings and units, print."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.conftest import LiveServer
from tests.web.conftest import DESKTOP, PHONE

if TYPE_CHECKING:
    from playwright.async_api import Browser

VESUVIO = "/recipes/1"  # the seed's first recipe


def _pages(pdf: bytes) -> int:
    """Pages of a PDF, from its page tree's /Count (Chromium writes it uncompressed)."""
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert counts, "no page tree found"
    return max(counts)


async def test_phone_shows_the_ingredients_first(site: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(site.url + VESUVIO)
        glance = await page.locator(".glance").inner_text()
        assert "Ready in 65 min" in glance and "Serves 4" in glance
        heading = await page.get_by_role("heading", name="Ingredients").bounding_box()
        # The name, times, servings, description and the adjust form, then the ingredients:
        # inside the first screen of a 844 px tall phone (it was at 1,114 px).
        assert heading is not None and heading["y"] < PHONE["height"] - 100
        source = await page.locator(".facts").bounding_box()
        method = await page.get_by_role("heading", name="Method").bounding_box()
        assert source is not None and method is not None and source["y"] > method["y"]
        # Ticking a line off works without any script.
        box = page.get_by_role("checkbox", name="1/4 cup olive oil")
        await box.check()
        assert await box.is_checked()
    finally:
        await context.close()


async def test_desktop_puts_ingredients_beside_the_method(
    site: LiveServer, browser: Browser
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    try:
        page = await context.new_page()
        await page.goto(site.url + VESUVIO)
        ingredients = await page.locator("section.ingredients").bounding_box()
        method = await page.locator("section.instructions").bounding_box()
        assert ingredients is not None and method is not None
        assert abs(ingredients["y"] - method["y"]) < 2
        assert ingredients["x"] + ingredients["width"] <= method["x"]
    finally:
        await context.close()


async def test_servings_and_units_form_without_javascript(
    site: LiveServer, browser: Browser
) -> None:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(site.url + VESUVIO)
        await page.get_by_label("Servings").fill("8")
        await page.get_by_label("Units").select_option("metric")
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_url("**servings=8**")
        text = await page.locator("main").inner_text()
        assert "120 ml olive oil" in text  # 1/4 cup, doubled, in millilitres
        assert "2 whole chicken" in text
        assert "Heat the oven to 220°C." in text  # 425°F
        assert "Serves 8" in text
    finally:
        await context.close()


async def test_the_seed_recipe_prints_on_one_page(site: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    try:
        page = await context.new_page()
        await page.goto(site.url + VESUVIO)
        await page.emulate_media(media="print")
        for hidden in (".site-header", ".site-footer", ".actions", ".adjust"):
            assert not await page.locator(hidden).is_visible(), hidden
        pdf = await page.pdf(format="A4")
        assert _pages(pdf) == 1
    finally:
        await context.close()
