"""Whole journeys in Chromium, on SQLite and on PostgreSQL: what a cook does, start to end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conftest import LiveServer
from tests.email.smtp import Mailbox
from tests.web.browsing import PASSWORD, add_recipe, emailed_path, log_in, new_email, sign_up
from tests.web.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, LOGIN_MAX_FAILURES, PHONE

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page


async def test_the_home_page_is_styled_and_fits_a_phone(site: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(viewport=PHONE)
    try:
        page = await context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        response = await page.goto(site.url + "/", wait_until="networkidle")
        assert response is not None and response.status == 200
        labels = {label.strip() for label in await page.locator(".recipe-label").all_inner_texts()}
        assert {"Chicken Vesuvio", "Chicken Paprikash"} <= labels
        header = await page.eval_on_selector(
            ".site-header", "e => getComputedStyle(e).backgroundImage"
        )
        assert "linear-gradient" in header
        assert await page.eval_on_selector(".recipes", "e => getComputedStyle(e).display") == "grid"
        # Nothing wider than the phone's screen: no sideways scrolling.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        icon = await page.eval_on_selector("link[rel=icon]", "e => e.href")
        assert icon.endswith("/static/favicon.svg")
        assert failed == []
    finally:
        await context.close()


async def test_cook_journey_from_sign_up_to_log_out(
    site: LiveServer, page: Page, browser: Browser, context: BrowserContext
) -> None:
    base, email = site.url, new_email()
    label = f"Saffron risotto {email[5:13]}"

    # Sign up: an error first, shown beside its field with the input kept.
    await page.goto(base + "/")
    await page.get_by_role("link", name="Sign up").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("short")
    await page.get_by_label("First name").fill("Ada")
    await page.get_by_role("button", name="Create account").click()
    assert await page.locator("#password-error").inner_text() == "Use at least 8 characters"
    assert await page.get_by_label("Email").input_value() == email
    assert await page.get_by_label("First name").input_value() == "Ada"
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    # Signing up logs in and shows the cook's recipes; log out to try the log-in form.
    await page.wait_for_url("**/my-recipes")
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(base + "/")
    await page.goto(base + "/login")

    # Log in, after one wrong password.
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("not my password")
    await page.get_by_role("button", name="Log in").click()
    assert await page.get_by_role("alert").inner_text() == "Wrong email or password."
    await log_in(page, base, email)
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["session"]["httpOnly"] and cookies["session"]["sameSite"] == "Lax"

    # Add a recipe: a bad address first.
    await page.get_by_role("link", name="My recipes").click()
    assert "You have not added a recipe yet" in await page.content()
    await page.get_by_role("link", name="Add a recipe").click()
    await page.get_by_label("Name").fill(label)
    await page.get_by_label("Web address").fill("not a web address")
    await page.get_by_role("button", name="Add recipe").click()
    assert "starting with http" in await page.locator("#url-error").inner_text()
    assert await page.get_by_label("Name").input_value() == label
    await page.get_by_label("Web address").fill("https://example.com/risotto")
    await page.get_by_label("Source").fill("Nonna")
    await page.get_by_role("button", name="Add recipe").click()
    await page.wait_for_url("**/recipes/*?saved=1")
    recipe_url = page.url.split("?")[0]
    assert await page.get_by_role("heading", level=1).inner_text() == label

    # Find it on the home page and through the search; open its page.
    await page.goto(base + "/")
    await page.get_by_role("link", name=label).click()
    assert page.url == recipe_url
    await page.goto(base + "/")
    await page.get_by_label("Search recipes").fill("saffron risotto")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url("**/search?q=saffron+risotto")
    assert "for “saffron risotto”" in await page.locator(".section-title").inner_text()
    await page.get_by_role("link", name=label).click()
    text = await page.locator(".facts").inner_text()
    assert "Nonna" in text and "Ada" in text
    original = page.get_by_role("link", name="Open the original")
    assert await original.get_attribute("href") == "https://example.com/risotto"

    # Edit it.
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Name").fill(label + " with peas")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(recipe_url + "?saved=1")
    assert await page.get_by_role("heading", level=1).inner_text() == label + " with peas"

    # Delete it, after the confirmation.
    await page.get_by_role("link", name="Delete").click()
    assert "cannot be undone" in await page.content()
    await page.get_by_role("button", name="Delete recipe").click()
    await page.wait_for_url("**/my-recipes?deleted=1")
    assert await page.get_by_role("status").inner_text() == "Recipe deleted."
    assert (await page.goto(recipe_url)) is not None
    assert await page.get_by_role("heading", level=1).inner_text() == "Page not found"

    # Log out; the cookie copied before stops working.
    copied = await context.cookies()
    await page.goto(base + "/")
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(base + "/")
    assert await page.get_by_role("link", name="Log in").count() == 1
    thief = await browser.new_context()
    try:
        await thief.add_cookies(copied)  # type: ignore[arg-type]
        stolen = await thief.new_page()
        await stolen.goto(base + "/my-recipes")
        assert "/login?next=/my-recipes" in stolen.url
    finally:
        await thief.close()


async def test_another_cook_cannot_edit_and_a_superuser_can(
    site: LiveServer, browser: Browser
) -> None:
    base = site.url
    owner_ctx, other_ctx, admin_ctx = [await browser.new_context() for _ in range(3)]
    try:
        owner, other, admin = [await c.new_page() for c in (owner_ctx, other_ctx, admin_ctx)]
        owner_email, other_email = new_email("owner"), new_email("other")
        await sign_up(owner, base, owner_email)
        await log_in(owner, base, owner_email)
        recipe_id = await add_recipe(
            owner, base, "Owner's bread", "https://example.com/bread", public=True
        )

        await sign_up(other, base, other_email)
        await log_in(other, base, other_email)
        await other.goto(f"{base}/recipes/{recipe_id}")
        assert await other.get_by_role("link", name="Edit").count() == 0
        assert await other.get_by_role("link", name="Delete").count() == 0

        # A forged post with the other cook's own valid token: refused with the 403 page.
        await other.goto(f"{base}/my-recipes/new")
        token = await other.locator("input[name=csrftoken]").first.get_attribute("value")
        assert token
        forged = await other.request.post(
            f"{base}/recipes/{recipe_id}/edit",
            form={"csrftoken": token, "label": "Stolen", "source": "", "url": "https://x.test/"},
            headers={"accept": "text/html"},
        )
        assert forged.status == 403
        assert "That is not yours to change" in await forged.text()
        await other.goto(f"{base}/recipes/{recipe_id}/edit")
        assert await other.get_by_role("heading", level=1).inner_text() == (
            "That is not yours to change"
        )

        await log_in(admin, base, ADMIN_EMAIL, ADMIN_PASSWORD)
        await admin.goto(f"{base}/recipes/{recipe_id}")
        await admin.get_by_role("link", name="Edit").click()
        await admin.get_by_label("Source").fill("Checked by an editor")
        await admin.get_by_role("button", name="Save changes").click()
        await owner.goto(f"{base}/recipes/{recipe_id}")
        assert "Checked by an editor" in await owner.locator(".facts").inner_text()
        assert await owner.get_by_role("heading", level=1).inner_text() == "Owner's bread"
    finally:
        for c in (owner_ctx, other_ctx, admin_ctx):
            await c.close()


async def test_a_form_post_without_a_valid_csrf_token_is_refused(
    site: LiveServer, page: Page
) -> None:
    email = new_email()
    await sign_up(page, site.url, email)
    await log_in(page, site.url, email)
    recipe: dict[str, str | float | bool] = {
        "label": "Forged",
        "source": "",
        "url": "https://example.com/forged",
    }
    for form in (recipe, {**recipe, "csrftoken": "made.up"}):
        answer = await page.request.post(
            site.url + "/my-recipes/new", form=form, headers={"accept": "text/html"}
        )
        assert answer.status == 403
        assert "This form has expired" in await answer.text()
    await page.goto(site.url + "/my-recipes")
    assert "Forged" not in await page.content()


async def test_throttled_logins_say_when_to_try_again(site: LiveServer, page: Page) -> None:
    email = new_email()
    await sign_up(page, site.url, email)
    await page.context.clear_cookies()  # signing up logged in; this is another visit
    await page.goto(site.url + "/login")
    for _ in range(LOGIN_MAX_FAILURES):
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Log in").click()
        assert await page.get_by_role("alert").inner_text() == "Wrong email or password."
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    message = await page.get_by_role("alert").inner_text()
    assert message.startswith("Too many failed logins. Try again in")
    assert await page.get_by_role("button", name="Log out").count() == 0


async def test_ideas_page_when_reddit_is_out_of_reach(site: LiveServer, page: Page) -> None:
    await page.goto(site.url + "/")
    await page.get_by_role("link", name="Ideas").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Recipe ideas"
    assert "No ideas could be fetched right now." in await page.content()
    assert await page.locator(".state.failed").count() == 3
    reasons = await page.locator(".source-reason").all_inner_texts()
    assert all(reason.startswith("r/") for reason in reasons)
    await page.get_by_role("link", name="latest recipes").click()
    assert await page.locator(".recipe-card").count() >= 3


async def test_unknown_pages_get_the_sites_404(site: LiveServer, page: Page) -> None:
    response = await page.goto(site.url + "/no/such/page")
    assert response is not None and response.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "Page not found"
    await page.get_by_role("link", name="Go to the home page").click()
    assert page.url == site.url + "/"


async def test_forgot_password_journey_through_the_emailed_link(
    site: LiveServer, page: Page, site_mailbox: tuple[int, Mailbox]
) -> None:
    base, email = site.url, new_email("forgetful")
    _, mailbox = site_mailbox
    await sign_up(page, base, email)
    welcome = await emailed_path(mailbox, email, "Welcome")
    assert welcome.startswith("/verify-email?token=")

    await page.goto(base + "/login")
    await page.get_by_role("link", name="Forgot password?").click()
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Send me a link").click()
    assert "If an account has this email" in await page.get_by_role("status").inner_text()

    reset = await emailed_path(mailbox, email, "Reset")
    await page.goto(base + reset)
    await page.get_by_label("New password").fill("my new kitchen password")
    await page.get_by_role("button", name="Set new password").click()
    await page.wait_for_url("**/login?password_reset=1")
    assert "Password changed" in await page.get_by_role("status").inner_text()

    # The old password no longer works; the new one does.
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    assert await page.get_by_role("alert").inner_text() == "Wrong email or password."
    await log_in(page, base, email, "my new kitchen password")
    # The link worked once.
    await page.goto(base + reset)
    assert "invalid or has expired" in await page.get_by_role("alert").inner_text()
