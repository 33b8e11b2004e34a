"""axe-core on every page, logged out and in: light at desktop width, dark at phone width.

And the add-recipe journey with the keyboard alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LiveServer
from tests.email.smtp import Mailbox
from tests.web.browsing import PASSWORD, add_recipe, emailed_path, log_in, new_email, sign_up
from tests.web.conftest import DESKTOP, PHONE

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

LOGGED_OUT = [
    "/",
    "/search",
    "/search?q=chicken",
    "/search?q=zzzzz",
    "/search?q=ch",
    "/recipes/1",
    "/recipes/1?servings=8&units=metric",
    "/login",
    "/signup",
    "/ideas",
    "/no/such/page",
    "/forgot-password",
    "/verify-email?token=made-up",
    "/reset-password?token=made-up",
]
LOGGED_IN = [
    "/",
    "/my-recipes",
    "/my-favourites",
    "/my-recipes/new",
    "/my-recipes/import",
    "/recipes/{id}",
    "/recipes/{id}/edit",
    "/recipes/{id}/delete",
    "/recipes/1/edit",
    "/my-recipes?deleted=1",
    "/account/password",
    "/account/password?changed=1",
]


async def _violations(page: Page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import Error

    # A click on a form's button returns before the navigation it starts has
    # finished: axe run then may find the old document gone, or no document
    # yet. Wait for the new page to load and run again.
    for attempt in range(3):
        await page.wait_for_load_state("load")
        try:
            results = await Axe().run(page)
            break
        except Error as error:
            navigating = "context was destroyed" in str(error) or "of null" in str(error)
            if not navigating or attempt == 2:
                raise
            await page.wait_for_timeout(100)
    return [
        f"{v['id']}: {[node['target'] for node in v['nodes']]}"
        for v in results.response["violations"]
    ]


async def _check(page: Page, url: str, found: dict[str, list[str]]) -> None:
    await page.goto(url)
    await _check_current(page, url, found)


@pytest.mark.parametrize(("scheme", "viewport"), [("light", DESKTOP), ("dark", PHONE)])
async def test_every_page_has_no_axe_violations(
    site: LiveServer,
    browser: Browser,
    scheme: str,
    viewport: dict[str, int],
    site_mailbox: tuple[int, Mailbox],
) -> None:
    base, (_, mailbox) = site.url, site_mailbox
    context = await browser.new_context(
        color_scheme=scheme,  # type: ignore[arg-type]
        viewport=viewport,  # type: ignore[arg-type]
    )
    found: dict[str, list[str]] = {}
    try:
        page = await context.new_page()
        for path in LOGGED_OUT:
            await _check(page, base + path, found)
        # Forms showing their errors.
        await page.goto(base + "/signup")
        await page.get_by_role("button", name="Create account").click()
        await _check_current(page, "signup with errors", found)
        await page.goto(base + "/login")
        await page.get_by_label("Email").fill("nobody@example.com")
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Log in").click()
        await _check_current(page, "login with an error", found)

        email = new_email()
        await sign_up(page, base, email)
        await _check_current(page, "login after sign-up", found)
        await _check(page, base + await emailed_path(mailbox, email, "Welcome"), found)
        await page.get_by_role("button", name="Confirm my email").click()
        await _check_current(page, "email confirmed", found)
        await page.goto(base + "/forgot-password")
        await page.get_by_role("button", name="Send me a link").click()
        await _check_current(page, "forgot password with an error", found)
        await page.get_by_label("Email").fill(email)
        await page.get_by_role("button", name="Send me a link").click()
        await _check_current(page, "reset link sent", found)
        await _check(page, base + await emailed_path(mailbox, email, "Reset"), found)
        await page.get_by_role("button", name="Set new password").click()
        await _check_current(page, "new password with an error", found)
        await log_in(page, base, email)
        recipe_id = await add_recipe(page, base, "Axe-checked stew", "https://example.com/s")
        await _check_current(page, "recipe just saved", found)
        for path in LOGGED_IN:
            await _check(page, base + path.format(id=recipe_id), found)
        await page.goto(base + "/my-recipes/new")
        await page.get_by_role("button", name="Add recipe").click()
        await _check_current(page, "add recipe with errors", found)
        await page.get_by_label("Name").fill("Axe-checked dal")
        await page.get_by_label("Description").fill("Checked for accessibility.")
        await page.get_by_label("Ingredients").fill("200 g red lentils\n1 onion")
        await page.get_by_label("Steps").fill("Rinse.\nSimmer.")
        await page.get_by_label("Preparation").fill("-1")
        await page.get_by_label("Tags").fill("vegan, quick")
        await page.get_by_label("Photo link").fill("https://images.example.com/dal.jpg")
        await page.get_by_role("button", name="Add recipe").click()
        await _check_current(page, "add recipe with a bad time", found)
        await page.get_by_label("Preparation").fill("10")
        await page.get_by_role("button", name="Add recipe").click()
        await page.wait_for_url("**/recipes/*?saved=1")
        await _check_current(page, "recipe with every detail", found)
        await page.get_by_role("link", name="Edit").click()
        await _check_current(page, "edit a recipe with every detail", found)
        await page.goto(base + "/my-recipes/import")
        await page.get_by_role("button", name="Import recipe").click()
        await _check_current(page, "import with an error", found)
        await page.goto(base + "/account/password")
        await page.get_by_role("button", name="Change password").click()
        await _check_current(page, "change password with errors", found)
    finally:
        await context.close()
    assert found == {}


@pytest.mark.parametrize(("scheme", "viewport"), [("light", DESKTOP), ("dark", PHONE)])
async def test_the_ideas_cards_and_saving_one_have_no_axe_violations(
    ideas_site: LiveServer, browser: Browser, scheme: str, viewport: dict[str, int]
) -> None:
    base = ideas_site.url
    context = await browser.new_context(
        color_scheme=scheme,  # type: ignore[arg-type]
        viewport=viewport,  # type: ignore[arg-type]
    )
    found: dict[str, list[str]] = {}
    try:
        page = await context.new_page()
        await _check(page, base + "/ideas", found)
        assert await page.get_by_role("link", name=re.compile("Log in to save")).count() >= 3
        email = new_email("axe-ideas")
        await sign_up(page, base, email)
        await log_in(page, base, email)
        await _check(page, base + "/ideas", found)
        await page.get_by_role("button", name=re.compile("Save as recipe")).first.click()
        await page.wait_for_url("**/recipes/*/edit?from_idea=1")
        await _check_current(page, "an idea saved, to complete", found)
    finally:
        await context.close()
    assert found == {}


async def _check_current(page: Page, name: str, found: dict[str, list[str]]) -> None:
    violations = await _violations(page)
    # Nothing wider than the window: no sideways scrolling, at phone width too.
    width = await page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:  # type: ignore[index]
        violations.append(f"page is {width} px wide")
    if violations:
        found[name] = violations


async def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Presses Tab until ``selector`` has the focus, and checks the focus is visible."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement.matches({selector!r})"):
            outline = await page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle + ' ' + s.outlineWidth; })()"
            )
            assert outline.split()[0] != "none" and outline.split()[1] != "0px", outline
            return
    raise AssertionError(f"{selector} never got the focus within {limit} tabs")


async def test_adding_a_recipe_with_the_keyboard_alone(site: LiveServer, page: Page) -> None:
    email = new_email("keys")
    await sign_up(page, site.url, email)
    await page.context.clear_cookies()  # signing up logged in: start from a visitor's page
    await page.goto(site.url + "/")

    await _tab_to(page, "a[href='/login']")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/login")
    await _tab_to(page, "#email")
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(site.url + "/")

    await _tab_to(page, "a[href='/my-recipes']")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/my-recipes")
    await _tab_to(page, "a[href='/my-recipes/new']")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/my-recipes/new")
    await _tab_to(page, "#label")
    await page.keyboard.type("Keyboard gazpacho")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Typed, not clicked")
    await page.keyboard.press("Tab")
    # Enter in a text area starts a new line: one ingredient a line.
    await page.keyboard.type("6 tomatoes")
    await page.keyboard.press("Enter")
    await page.keyboard.type("1 cucumber")
    await page.keyboard.press("Tab")
    await page.keyboard.type("Blend everything.")
    await _tab_to(page, "#url")
    await page.keyboard.type("https://example.com/gazpacho")
    await _tab_to(page, "button[type=submit]:not(.link-button)")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/recipes/*?saved=1")
    assert await page.get_by_role("heading", level=1).inner_text() == "Keyboard gazpacho"
    assert await page.locator(".description").inner_text() == "Typed, not clicked"
    assert await page.locator(".ingredients li").all_inner_texts() == ["6 tomatoes", "1 cucumber"]
    assert await page.locator(".instructions li").all_inner_texts() == ["Blend everything."]

    # The skip link is the first stop and takes the focus past the navigation.
    await page.goto(site.url + "/")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"


# What Swagger UI's and ReDoc's own markup brings: low-contrast colours, skipped
# heading levels and (Swagger UI) a button inside another. The page around them
# is ours: one main landmark holding the whole document.
UPSTREAM_DOCS_VIOLATIONS = {"color-contrast", "heading-order", "nested-interactive"}


async def test_the_api_docs_pages_add_no_violations_of_their_own(
    site: LiveServer, page: Page
) -> None:
    from axe_playwright_python.async_playwright import Axe

    found: dict[str, set[str]] = {}
    for path, rendered in (("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")):
        await page.goto(site.url + path)
        await page.locator(rendered).first.wait_for()
        results = await Axe().run(page)
        found[path] = {violation["id"] for violation in results.response["violations"]}

    assert {path: ids - UPSTREAM_DOCS_VIOLATIONS for path, ids in found.items()} == {
        "/docs": set(),
        "/redoc": set(),
    }
