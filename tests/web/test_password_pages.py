"""The email pages over HTTP, with the development setting: no SMTP, emails written to a folder."""

from __future__ import annotations

import email
import email.policy
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.settings import Settings
from tests.email.smtp import eventually
from tests.web.forms import browser_for, csrf_token, field_errors, sign_up_and_log_in, submit


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The development setting: no SMTP server, a sender writing emails to a folder."""
    return settings.model_copy(update={"outbox_sender": True, "outbox_poll_seconds": 0.1})


def _emails(folder: Path) -> list[email.message.EmailMessage]:
    found: list[email.message.EmailMessage] = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.append(parsed)
    return found


def _link(message: email.message.EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    start = text.index(path)
    return str(text[start:].split()[0])


async def test_without_smtp_the_welcome_email_is_a_file_and_its_link_is_logged(
    app: FastAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="recipe_api.email.sender")
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "files@example.com")
        (welcome,) = await eventually(lambda: _emails(settings.email_outbox_dir))
        assert welcome["To"] == "files@example.com"
        link = _link(welcome, "/verify-email?token=")
        # Logged just after the file is written.
        await eventually(lambda: f"link: {settings.public_base_url}{link}" in caplog.text)
        confirm = await browser.get(link)
        assert confirm.status_code == 200 and "Confirm my email" in confirm.text
        token = link.split("token=")[1]
        done = await browser.post(
            "/verify-email", data={"csrftoken": csrf_token(confirm), "token": token}
        )
        assert done.status_code == 200 and "files@example.com is confirmed" in done.text
        again = await browser.post(
            "/verify-email", data={"csrftoken": csrf_token(confirm), "token": token}
        )
        assert again.status_code == 400 and "invalid or has expired" in again.text


async def test_forgot_password_answers_alike_and_the_reset_link_sets_a_new_password(
    app: FastAPI, settings: Settings
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "reset@example.com")
        answers = []
        for address in ("reset@example.com", "nobody@example.com"):
            page = await submit(browser, "/forgot-password", "/forgot-password", {"email": address})
            answers.append((page.status_code, page.text.split("<main")[1].split("</main>")[0]))
        assert answers[0] == answers[1] and answers[0][0] == 202
        bad = await submit(browser, "/forgot-password", "/forgot-password", {"email": "nope"})
        assert bad.status_code == 422 and field_errors(bad)["email"].startswith("Enter an email")

        reset = await eventually(
            lambda: [m for m in _emails(settings.email_outbox_dir) if "Reset" in m["Subject"]]
        )
        link = _link(reset[0], "/reset-password?token=")
        form = await browser.get(link)
        assert form.status_code == 200 and "New password" in form.text
        token = link.split("token=")[1]
        short = await browser.post(
            "/reset-password",
            data={"csrftoken": csrf_token(form), "token": token, "new_password": "short"},
        )
        assert field_errors(short)["new_password"] == "Use at least 8 characters"
        done = await browser.post(
            "/reset-password",
            data={"csrftoken": csrf_token(form), "token": token, "new_password": "the new one!"},
        )
        assert (done.status_code, done.headers["location"]) == (303, "/login?password_reset=1")
        # The session opened before the reset is over.
        assert (await browser.get("/my-recipes")).status_code == 303
        used = await browser.get(link)
        assert used.status_code == 400 and "invalid or has expired" in used.text
    async with browser_for(app) as browser:
        ok = await submit(
            browser, "/login", "/login", {"email": "reset@example.com", "password": "the new one!"}
        )
        assert ok.status_code == 303


async def test_change_password_page_needs_the_current_one_and_keeps_this_session(
    app: FastAPI,
) -> None:
    async with browser_for(app) as browser, browser_for(app) as elsewhere:
        await sign_up_and_log_in(browser, "change@example.com")
        await sign_up_and_log_in_again(elsewhere, "change@example.com")
        assert (await browser.get("/account/password")).status_code == 200
        wrong = await submit(
            browser,
            "/account/password",
            "/account/password",
            {"current_password": "not it at all", "new_password": "brand new password"},
        )
        assert wrong.status_code == 400
        assert field_errors(wrong)["current_password"] == "The current password is wrong"
        done = await submit(
            browser,
            "/account/password",
            "/account/password",
            {"current_password": "long enough password", "new_password": "brand new password"},
        )
        assert done.headers["location"] == "/account/password?changed=1"
        changed = await browser.get("/account/password?changed=1")
        assert "Your other sessions are logged out" in changed.text
        assert (await browser.get("/my-recipes")).status_code == 200
        assert (await elsewhere.get("/my-recipes")).status_code == 303


async def sign_up_and_log_in_again(browser: httpx.AsyncClient, email_address: str) -> None:
    response = await submit(
        browser,
        "/login",
        "/login",
        {"email": email_address, "password": "long enough password"},
    )
    assert response.status_code == 303, response.text


async def test_the_login_page_offers_forgot_password(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        page = await browser.get("/login")
        assert '<a href="/forgot-password">Forgot password?</a>' in page.text
        # Each page with a form works for a visitor with no cookies at all.
        for path in ("/forgot-password", "/verify-email?token=abc"):
            response = await browser.get(path)
            assert response.status_code == 200, path
            csrf_token(response)
        made_up = await browser.get("/reset-password?token=abc")
        assert made_up.status_code == 400 and "Ask for a new link" in made_up.text
