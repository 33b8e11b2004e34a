"""Importing another app's export from the website: the upload form, the progress page, CSRF."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI

from tests.conftest import LiveServer
from tests.recipes.test_imports import EXPORTS, mealie_zip, sacher_with_sections
from tests.web.browsing import log_in, new_email, sign_up
from tests.web.forms import browser_for, field_errors, sign_up_and_log_in

if TYPE_CHECKING:
    from playwright.async_api import Page

_ACTION = re.compile(r'action="(/my-recipes/import/archive\?csrftoken=[^"]+)"')


async def _upload_action(browser: httpx.AsyncClient) -> str:
    page = await browser.get("/my-recipes/import")
    match = _ACTION.search(page.text)
    assert match, "no upload form"
    return match.group(1)


async def test_upload_then_progress_page_then_recipes(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "uploader@example.com")
        action = await _upload_action(browser)
        files = [("files", ("mealie.zip", mealie_zip(sacher_with_sections()), "application/zip"))]
        posted = await browser.post(action, files=files)
        assert posted.status_code == 303, posted.text
        progress_path = posted.headers["location"]
        assert re.fullmatch(r"/my-recipes/import/jobs/\d+", progress_path)

        queued = await browser.get(progress_path)
        assert queued.status_code == 200
        assert '<meta http-equiv="refresh" content="2">' in queued.text
        assert f'href="{progress_path}">Reload now' in queued.text

        while await app.state.import_runner.run_once():
            pass
        done = await browser.get(progress_path)
        assert "Import finished" in done.text and 'http-equiv="refresh"' not in done.text
        assert '<span class="import-imported">1</span> imported' in done.text
        assert "Original Sacher-Torte (2)" in (await browser.get("/my-recipes")).text

        # The same export again: skipped, and the page says why.
        again = await browser.post(await _upload_action(browser), files=files)
        while await app.state.import_runner.run_once():
            pass
        skipped = await browser.get(again.headers["location"])
        assert "Already in your recipes (the same web address)" in skipped.text

    async with browser_for(app) as stranger:
        await sign_up_and_log_in(stranger, "stranger@example.com")
        assert (await stranger.get(progress_path)).status_code == 404


async def test_an_unreadable_upload_is_answered_beside_the_field(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "bad-upload@example.com")
        action = await _upload_action(browser)
        answer = await browser.post(action, files=[("files", ("x.gif", b"GIF89a", "image/gif"))])
        assert answer.status_code == 422
        assert "neither a zip archive nor JSON" in field_errors(answer)["files"]
        empty = await browser.post(action, files=[("files", ("", b"", "application/zip"))])
        assert field_errors(empty)["files"] == "Choose the export file to upload"


async def test_an_upload_without_the_token_or_from_elsewhere_is_refused(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "forged-upload@example.com")
        files = [("files", ("a.json", (EXPORTS / "jsonld-chunky-apple-cake.json").read_bytes()))]
        no_token = await browser.post("/my-recipes/import/archive", files=files)
        assert no_token.status_code == 403
        wrong = await browser.post("/my-recipes/import/archive?csrftoken=forged", files=files)
        assert wrong.status_code == 403
        elsewhere = await browser.post(
            await _upload_action(browser), files=files, headers={"Origin": "https://evil.example"}
        )
        assert elsewhere.status_code == 403
        # Pages other than the upload and the recipe forms take no multipart post.
        assert (await browser.post("/my-recipes/import", files=files)).status_code == 415
        mine = await browser.get("/my-recipes")
        assert '<span class="count">0</span>' in mine.text


async def test_the_recipe_box_downloads_from_the_website(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "box@example.com")
        mine = await browser.get("/my-recipes")
        assert 'href="/my-recipes/archive"' in mine.text
        answer = await browser.get("/my-recipes/archive")
        assert answer.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            assert "manifest.json" in archive.namelist()


async def test_upload_progress_and_recipes_in_chromium(
    site: LiveServer, page: Page, tmp_path: Path
) -> None:
    base, email = site.url, new_email("upload")
    await sign_up(page, base, email)
    await log_in(page, base, email)
    export = tmp_path / "export.zip"
    export.write_bytes(mealie_zip(sacher_with_sections()))
    await page.goto(base + "/my-recipes/import")
    await page.get_by_label("Export file").set_input_files(str(export))
    await page.get_by_role("button", name="Import the recipes").click()
    await page.wait_for_url(re.compile(r".*/my-recipes/import/jobs/\d+$"))
    # The page reloads itself (a meta refresh, no script) until the job is done.
    await page.get_by_role("heading", name="Import finished").wait_for(timeout=20_000)
    assert await page.locator(".import-imported").inner_text() == "1"
    await page.get_by_role("link", name="See my recipes").click()
    await page.wait_for_url(base + "/my-recipes")
    assert await page.get_by_role("link", name="Original Sacher-Torte (2)", exact=True).count() == 1
