"""In Chromium: a recipe kept private, shared, favourited by another cook, and hidden again.

Without JavaScript (every control is a form), and axe-core on the favourites
page and the recipe page with its private label and toggles.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LiveServer
from tests.web.browsing import log_in, new_email, sign_up
from tests.web.conftest import DESKTOP, PHONE
from tests.web.test_accessibility import _check_current

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext


async def _cook(browser: Browser, base: str, viewport: dict[str, int]) -> BrowserContext:
    context = await browser.new_context(viewport=viewport, java_script_enabled=False)  # type: ignore[arg-type]
    page = await context.new_page()
    email = new_email()
    await sign_up(page, base, email)
    await log_in(page, base, email)
    return context


async def _axe(
    browser: Browser, cook: BrowserContext, url: str, name: str, found: dict[str, list[str]]
) -> None:
    """axe-core on ``url`` as the cook sees it: in a context of its own with JavaScript on
    (axe is a script), the cook's cookies copied over."""
    checking = await browser.new_context(storage_state=await cook.storage_state())
    try:
        page = await checking.new_page()
        await page.goto(url)
        await _check_current(page, name, found)
    finally:
        await checking.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_a_private_recipe_shared_favourited_and_hidden_again(
    site: LiveServer, browser: Browser, viewport: dict[str, int]
) -> None:
    base = site.url
    found: dict[str, list[str]] = {}
    ada = await _cook(browser, base, viewport)
    bob = await _cook(browser, base, viewport)
    visitor = await browser.new_context(viewport=viewport, java_script_enabled=False)  # type: ignore[arg-type]
    try:
        # Ada adds a recipe: the form starts on "Keep private".
        page = ada.pages[0]
        await page.goto(base + "/my-recipes/new")
        assert await page.get_by_label("Keep private").is_checked()
        label = f"Quince crumble {new_email('q')[2:10]}"
        await page.get_by_label("Name").fill(label)
        await page.get_by_role("button", name="Add recipe").click()
        await page.wait_for_url("**/recipes/*?saved=1")
        recipe_path = page.url.split(base, 1)[1].split("?")[0]
        assert await page.get_by_text("Only you can see this recipe.").count() == 1
        await _axe(browser, ada, page.url, "a private recipe", found)
        await page.goto(base + "/my-recipes")
        assert await page.locator(".private-badge").count() >= 1

        # Nobody else finds it: its page is the 404 of a missing recipe.
        stranger = await visitor.new_page()
        missing = await stranger.goto(base + recipe_path)
        assert missing is not None and missing.status == 404
        other = bob.pages[0]
        missing = await other.goto(base + recipe_path)
        assert missing is not None and missing.status == 404
        await stranger.goto(base + "/search?q=quince+crumble")
        assert await stranger.get_by_text(label).count() == 0

        # Ada shares it from its page.
        await page.goto(base + recipe_path)
        await page.get_by_role("button", name="Share publicly").click()
        await page.wait_for_url("**?shared=1")
        assert await page.get_by_role("button", name="Keep private").count() == 1
        assert await page.locator(".private-badge").count() == 0
        shown = await stranger.goto(base + recipe_path)
        assert shown is not None and shown.status == 200

        # Bob finds it in a search and marks it from the card, then sees it in his favourites.
        await other.goto(base + "/search?q=quince+crumble")
        await other.get_by_role("button", name=re.compile(f"Add to favourites.*{label}")).click()
        await other.wait_for_url("**/search?q=quince+crumble")
        assert await other.get_by_role(
            "button", name=re.compile(f"Remove from favourites.*{label}")
        ).count()
        await other.get_by_role("link", name="My favourites").click()
        await other.wait_for_url("**/my-favourites")
        assert await other.get_by_role("link", name=label).count() == 1
        await _axe(browser, bob, other.url, "my favourites", found)

        # Ada keeps it private again: it leaves Bob's favourites, without an error.
        await page.get_by_role("button", name="Keep private").click()
        await page.wait_for_url("**?private=1")
        response = await other.goto(base + "/my-favourites")
        assert response is not None and response.status == 200
        assert await other.get_by_role("link", name=label).count() == 0
        assert await other.get_by_text("No favourites yet.").count() == 1
        await _axe(browser, bob, other.url, "my favourites, empty", found)

        # Ada marks her own private recipe from its page, and unmarks it.
        await page.get_by_role("button", name=re.compile(f"Add to favourites.*{label}")).click()
        await page.wait_for_url("**" + recipe_path + "*")
        await page.goto(base + "/my-favourites")
        assert await page.get_by_role("link", name=label).count() == 1
        assert await page.locator(".private-badge").count() == 1
        await page.get_by_role(
            "button", name=re.compile(f"Remove from favourites.*{label}")
        ).click()
        await page.wait_for_url("**/my-favourites")
        assert await page.get_by_role("link", name=label).count() == 0
    finally:
        for context in (ada, bob, visitor):
            await context.close()
    assert found == {}
