"""Sign up, log in and out through the website's forms, on every backend."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from recipe_api.settings import Settings
from recipe_api.web.signed_in import set_session_cookie
from tests.web.forms import browser_for, csrf_token, field_errors, sign_up_and_log_in, submit


async def test_signup_errors_sit_beside_their_fields_and_keep_the_input(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        data = {"email": "not an email", "password": "short", "first_name": "Ada"}
        page = await submit(browser, "/signup", "/signup", data)
        assert page.status_code == 422
        errors = field_errors(page)
        assert errors["email"].startswith("Enter an email address")
        assert errors["password"] == "Use at least 8 characters"
        assert 'value="not an email"' in page.text
        assert 'value="Ada"' in page.text
        assert 'value="short"' not in page.text  # a password is never echoed back
        assert 'aria-invalid="true"' in page.text


async def test_signup_logs_in_and_returns_to_the_page_it_came_from(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        form = await browser.get("/signup?next=/recipes/1")
        assert 'name="next" value="/recipes/1"' in form.text
        data = {"email": "back@example.com", "password": "pw 12345678", "next": "/recipes/1"}
        response = await browser.post("/signup", data={"csrftoken": csrf_token(form), **data})
        assert response.status_code == 303 and response.headers["location"] == "/recipes/1"
        mine = await browser.get("/my-recipes")
        assert mine.status_code == 200 and "back@example.com" in mine.text
        # A target elsewhere is not followed.
        form = await browser.get("/signup")
        data = {"email": "away@example.com", "password": "pw 12345678", "next": "//evil.example"}
        response = await browser.post("/signup", data={"csrftoken": csrf_token(form), **data})
        assert response.headers["location"] == "/"


async def test_signup_with_a_taken_email_says_so(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "taken@example.com")
    async with browser_for(app) as browser:
        data = {"email": "Taken@example.com", "password": "another long one"}
        page = await submit(browser, "/signup", "/signup", data)
        assert page.status_code == 422
        assert field_errors(page)["email"] == "An account with this email exists"


async def test_login_opens_a_server_side_session_and_logout_ends_it(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        page = await submit(
            browser, "/signup", "/signup", {"email": "cook@example.com", "password": "pw 12345678"}
        )
        # Signing up opened a session already; logging in again replaces it.
        assert page.headers["location"] == "/my-recipes"
        assert "session=" in page.headers["set-cookie"]
        assert (await browser.get("/my-recipes")).status_code == 200
        login_page = await browser.get("/login?next=/my-recipes")
        response = await browser.post(
            "/login",
            data={
                "csrftoken": csrf_token(login_page),
                "email": " COOK@example.com ",
                "password": "pw 12345678",
                "next": "/my-recipes",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/my-recipes"
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("session=")
        )
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # development serves plain HTTP
        token = browser.cookies["session"]
        mine = await browser.get("/my-recipes")
        assert mine.status_code == 200
        assert "Logged in as cook@example.com" in mine.text

        logout = await browser.post("/logout", data={"csrftoken": csrf_token(mine)})
        assert logout.status_code == 303
        assert "session" not in browser.cookies

    # The copied cookie of the ended session opens nothing.
    async with browser_for(app) as thief:
        thief.cookies.set("session", token)
        response = await thief.get("/my-recipes")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/my-recipes"


async def test_wrong_password_and_throttled_logins_say_so(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "slow@example.com")
    async with browser_for(app) as browser:
        page = await browser.get("/login")
        token = csrf_token(page)
        wrong = {"csrftoken": token, "email": "slow@example.com", "password": "wrong password"}
        for _ in range(app.state.settings.login_max_failures):
            response = await browser.post("/login", data=wrong)
            assert response.status_code == 401
            assert "Wrong email or password." in response.text
            assert 'value="slow@example.com"' in response.text
        right = {**wrong, "password": "long enough password"}
        response = await browser.post("/login", data=right)
        assert response.status_code == 429
        assert "Too many failed logins. Try again in" in response.text
        assert int(response.headers["retry-after"]) > 0
        assert "session" not in browser.cookies


async def test_the_api_login_answers_as_before(client: httpx.AsyncClient, app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "api@example.com")
    form = {"username": "api@example.com", "password": "nope nope nope"}
    response = await client.post("/api/v1/auth/login", data=form)
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_session_cookie_is_secure_in_production(tmp_path: object) -> None:
    settings = Settings(
        _env_file=None,
        environment="production",
        secret_key="s" * 48,
        first_superuser_password="a long admin password",
    )
    from fastapi import Response

    response = Response()
    set_session_cookie(response, "token", settings)
    cookie = response.headers.getlist("set-cookie")[0]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
