"""Photos in Chromium: uploaded through the form, shown on a card, no broken image, axe clean.

And cook mode: the button appears with the script, enlarges the steps and asks
for a screen wake lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.conftest import LiveServer
from tests.media.images import photo
from tests.web.browsing import new_email, sign_up

if TYPE_CHECKING:
    from playwright.async_api import Page

_BROKEN = """() => [...document.images]
  .filter((img) => !img.complete || img.naturalWidth === 0)
  .map((img) => img.currentSrc || img.src)"""


async def _broken_images(page: Page) -> list[str]:
    # Lazy images below the fold load once scrolled to.
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await page.wait_for_load_state("networkidle")
    broken: list[str] = await page.evaluate(_BROKEN)
    return broken


async def test_a_photo_uploaded_in_the_browser_shows_everywhere(
    site: LiveServer, page: Page, tmp_path: Path
) -> None:
    from axe_playwright_python.async_playwright import Axe

    base = site.url
    picture = tmp_path / "soup.jpg"
    picture.write_bytes(photo(1600, 1200))
    await sign_up(page, base, new_email())
    await page.goto(base + "/my-recipes/new")
    await page.get_by_label("Name").fill("Pumpkin Soup")
    await page.locator("#photo").set_input_files(str(picture))
    await page.get_by_role("button", name="Add recipe").click()
    await page.wait_for_url("**/recipes/*?saved=1")

    hero = page.locator("img.recipe-photo")
    await hero.wait_for()
    assert await hero.evaluate("(img) => img.naturalWidth") > 0
    assert await hero.get_attribute("fetchpriority") == "high"
    assert await _broken_images(page) == []
    results = await Axe().run(page)
    assert results.response["violations"] == [], results.response["violations"]

    await page.goto(base + "/my-recipes")
    card = page.locator("li.recipe-card", has_text="Pumpkin Soup").locator("img.card-photo")
    await card.scroll_into_view_if_needed()
    await page.wait_for_load_state("networkidle")
    assert await card.evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert (await card.evaluate("(img) => img.currentSrc")).endswith(".webp")
    for path in ("/my-recipes", "/"):
        await page.goto(base + path)
        assert await _broken_images(page) == [], path


async def test_cook_mode_enlarges_the_steps_and_asks_to_keep_the_screen_on(
    site: LiveServer, page: Page
) -> None:
    # Record the wake lock request (headless Chromium may refuse it: the page copes).
    await page.add_init_script(
        """window.__wakeLocks = 0;
        if (navigator.wakeLock) {
          const request = navigator.wakeLock.request.bind(navigator.wakeLock);
          navigator.wakeLock.request = (type) => { window.__wakeLocks += 1; return request(type); };
        }"""
    )
    await page.goto(site.url + "/recipes/1")
    button = page.get_by_role("button", name="Cook mode")
    before = await page.locator("ol.ticks li").first.evaluate(
        "(li) => parseFloat(getComputedStyle(li).fontSize)"
    )
    await button.click()
    assert await page.locator("body.cook-mode").count() == 1
    assert (
        await page.get_by_role("button", name="Leave cook mode").get_attribute("aria-pressed")
        == "true"
    )
    after = await page.locator("ol.ticks li").first.evaluate(
        "(li) => parseFloat(getComputedStyle(li).fontSize)"
    )
    assert after > before * 1.2
    if await page.evaluate("'wakeLock' in navigator"):
        assert await page.evaluate("window.__wakeLocks") == 1


async def test_without_javascript_there_is_no_cook_mode_button(site: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()
        await page.goto(site.url + "/recipes/1")
        assert await page.get_by_role("button", name="Cook mode").count() == 0
        assert await page.locator("ol.ticks li").count() > 0
    finally:
        await context.close()
