"""Swagger UI and ReDoc render in Chromium with every other host blocked; Authorize logs in."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tests.conftest import LiveServer
from tests.web.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Route


async def _offline(context: BrowserContext, site: LiveServer) -> tuple[list[str], list[str]]:
    """Blocks every request to another host; returns the blocked URLs and console errors."""
    ours = urlsplit(site.url).netloc
    blocked: list[str] = []

    async def only_ours(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == ours or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            blocked.append(url)
            await route.abort()

    await context.route("**/*", only_ours)
    return blocked, []


def _watch_console(page: Page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)


async def test_swagger_ui_renders_offline_and_authorize_logs_in(
    site: LiveServer, context: BrowserContext, page: Page
) -> None:
    blocked, errors = await _offline(context, site)
    _watch_console(page, errors)
    await page.goto(site.url + "/docs")
    await page.locator(".swagger-ui .info .title").wait_for()
    assert "Recipe API" in await page.locator(".swagger-ui .info .title").inner_text()

    await page.get_by_role("button", name="Authorize").first.click()
    await page.locator("#oauth_username").fill(ADMIN_EMAIL)
    await page.locator("#oauth_password").fill(ADMIN_PASSWORD)
    await page.locator(".auth-btn-wrapper .authorize").click()
    await page.locator(".auth-container").get_by_text("Authorized", exact=True).wait_for()
    await page.locator(".auth-btn-wrapper .btn-done").click()

    # A call that needs the token now answers with the logged-in user.
    operation = page.locator("#operations-auth-me_api_v1_auth_me_get")
    await operation.locator(".opblock-summary").click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.get_by_role("button", name="Execute").click()
    body = operation.locator(".responses-wrapper .live-responses-table .highlight-code")
    await body.first.wait_for()
    assert ADMIN_EMAIL in await body.first.inner_text()
    assert blocked == []
    assert not [e for e in errors if "Content Security Policy" in e], errors


async def test_redoc_renders_offline(site: LiveServer, context: BrowserContext, page: Page) -> None:
    blocked, errors = await _offline(context, site)
    _watch_console(page, errors)
    await page.goto(site.url + "/redoc")
    title = page.locator(".api-info h1")
    await title.wait_for()
    assert "Recipe API" in await title.inner_text()
    assert await page.get_by_text("Get Recipe", exact=False).count() >= 1
    assert blocked == []
    # ReDoc's "API docs by Redocly" badge points at its CDN; the policy keeps it out,
    # and that is the only thing it has to refuse.
    refused = [e for e in errors if "Content Security Policy" in e]
    assert all("cdn.redoc.ly/redoc/logo-mini.svg" in e for e in refused), refused
