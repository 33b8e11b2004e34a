"""The bookmarklet in Chromium: a recipe page on another site sends itself to ours.

The recipe page is served as ``localhost`` and the site as ``127.0.0.1``: two
sites, so the browser treats the bookmarklet's post as cross-site (no session
cookie with it, SameSite=Lax) as it would from a real recipe site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import LiveServer
from tests.web.browsing import log_in, new_email, sign_up

if TYPE_CHECKING:
    from playwright.async_api import Page


def _elsewhere(pages_server: str) -> str:
    return pages_server.replace("127.0.0.1", "localhost")


async def _my_recipe_count(page: Page, base: str) -> int:
    answer = await page.request.get(base + "/my-recipes")
    return int((await answer.text()).split('<span class="count">', 1)[1].split("<", 1)[0])


async def test_the_bookmarklet_sends_the_open_page_to_be_checked_and_imported(
    site: LiveServer, page: Page, pages_server: str
) -> None:
    base, email = site.url, new_email("bookmarklet")
    assert "127.0.0.1" in base
    await sign_up(page, base, email)
    await log_in(page, base, email)
    await page.goto(base + "/my-recipes/import")
    link = page.get_by_role("link", name="Import to my recipes")
    href = await link.get_attribute("href")
    assert href is not None and href.startswith("javascript:")
    before = await _my_recipe_count(page, base)

    # The cook, on the recipe's own site, clicks the bookmark.
    recipe_page = _elsewhere(pages_server) + "/jsonld"
    await page.goto(recipe_page)
    async with page.context.expect_page() as opened:
        await page.evaluate(href.removeprefix("javascript:"))
    received = await opened.value
    await received.wait_for_load_state()
    assert received.url == base + "/my-recipes/import/page"
    assert await received.locator(".received-url").inner_text() == recipe_page
    assert await _my_recipe_count(page, base) == before  # the cross-site post saved nothing

    await received.get_by_role("button", name="Read the recipe").click()
    await received.wait_for_url(base + "/my-recipes/import/page/read")
    assert await received.get_by_label("Name").input_value() == "Shakshuka with Feta"
    assert await received.get_by_label("Source").input_value() == "Ada (Example Kitchen)"
    assert await received.get_by_label("Web address").input_value() == recipe_page
    assert "2 tablespoons olive oil" in await received.get_by_label("Ingredients").input_value()
    assert await _my_recipe_count(page, base) == before  # reading it saved nothing either

    await received.get_by_role("button", name="Add recipe").click()
    await received.wait_for_url("**/recipes/*?saved=1")
    assert await received.get_by_role("heading", level=1).inner_text() == "Shakshuka with Feta"
    assert await _my_recipe_count(page, base) == before + 1


async def test_a_forged_cross_site_post_creates_nothing(
    site: LiveServer, page: Page, pages_server: str
) -> None:
    base, email = site.url, new_email("forged")
    await sign_up(page, base, email)
    await log_in(page, base, email)
    before = await _my_recipe_count(page, base)
    forge = """([action, fields]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        for (const [name, value] of Object.entries(fields)) {
            const input = document.createElement('textarea');
            input.name = name;
            input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
    }"""
    page_html = "<script type='application/ld+json'>" + (
        '{"@context": "https://schema.org", "@type": "Recipe", "name": "Forged",'
        ' "recipeIngredient": ["1 egg"]}</script>'
    )
    recipe_fields = {"label": "Forged", "ingredients": "1 egg", "url": "https://example.com/"}
    for action, fields, status in [
        ("/my-recipes/new", recipe_fields, 403),
        ("/my-recipes/import", {"url": "https://example.com/", "html": page_html}, 403),
        ("/my-recipes/import/page/read", {"url": "https://example.com/", "html": page_html}, 403),
        # Let through, but it only shows what arrived.
        ("/my-recipes/import/page", {"url": "https://example.com/", "html": page_html}, 200),
    ]:
        await page.goto(_elsewhere(pages_server) + "/jsonld")
        async with page.expect_navigation() as navigation:
            await page.evaluate(forge, [base + action, fields])
        response = await navigation.value
        assert response is not None and response.status == status, action
    assert await _my_recipe_count(page, base) == before
