"""The API's input hardening holds on the website's forms too, on every backend.

Odd strings are form errors, emails take the one normal form, the signup
throttle and the bounded hashing answer as form messages, the body limit
answers before the CSRF check reads a form, and the ownership rule guards
the site's writes where it guards the API's.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.auth.security import Passwords
from recipe_api.errors import ServiceBusyError
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.web.forms import HTML, browser_for, csrf_token, field_errors, sign_up_and_log_in, submit

NUL = "nul\x00here"
SURROGATE = "lone\ud800surrogate"


def _multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """``fields`` as multipart in the ``unicode_escape`` charset, which Starlette's form
    parser honours: the one way a form body can deliver a lone surrogate."""
    boundary = "formboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("unicode_escape")
        + b"\r\n"
        for name, value in fields.items()
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; charset=unicode_escape; boundary={boundary}"


@pytest.mark.parametrize("field", ["email", "password", "first_name", "surname"])
async def test_a_nul_in_the_signup_form_is_a_field_error(app: FastAPI, field: str) -> None:
    data = {"email": "odd@example.com", "password": "long enough password", "first_name": "Ada"}
    data[field] = f"{NUL}@example.com" if field == "email" else NUL
    async with browser_for(app) as browser:
        page = await submit(browser, "/signup", "/signup", data)
        assert page.status_code == 422, page.text
        assert field in field_errors(page)
        # Nothing was created: the proper signup still goes through.
        await sign_up_and_log_in(browser, "odd@example.com")


@pytest.mark.parametrize("field", ["label", "source"])
async def test_a_nul_in_the_recipe_form_is_a_field_error(app: FastAPI, field: str) -> None:
    data = {"label": "Bread", "source": "Home", "url": "https://example.com/bread"}
    data[field] = NUL
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "baker@example.com")
        page = await submit(browser, "/my-recipes/new", "/my-recipes/new", data)
        assert page.status_code == 422, page.text
        assert field in field_errors(page)
        assert "Bread" not in (await browser.get("/my-recipes")).text


async def test_a_nul_in_the_login_form_is_a_wrong_login(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
    async with browser_for(app) as browser:
        for data in (
            {"email": f"{NUL}@example.com", "password": "long enough password"},
            {"email": "cook@example.com", "password": NUL},
        ):
            page = await submit(browser, "/login", "/login", {**data, "next": "/"})
            assert page.status_code == 401, page.text
            assert "Wrong email or password." in page.text


async def test_a_surrogates_bytes_in_a_form_become_replacement_characters(app: FastAPI) -> None:
    # A form body is UTF-8 decoded with replacement: a surrogate's bytes become U+FFFD,
    # which every backend stores (and an internationalised email may hold).
    surrogate = "%ED%A0%80"
    form = {"content-type": "application/x-www-form-urlencoded"}
    async with browser_for(app) as browser:
        token = csrf_token(await browser.get("/signup"))
        body = f"csrftoken={token}&email=lone{surrogate}%40example.com&password=long+enough+pw"
        signed_up = await browser.post("/signup", content=body.encode(), headers=form)
        assert signed_up.status_code == 303
        login = {"email": "lone\ufffd\ufffd\ufffd@example.com", "password": "long enough pw"}
        assert (await submit(browser, "/login", "/login", login)).status_code == 303
        token = csrf_token(await browser.get("/my-recipes/new"))
        body = f"csrftoken={token}&label=Bread{surrogate}&url=https%3A%2F%2Fexample.com%2Fb"
        saved = await browser.post("/my-recipes/new", content=body.encode(), headers=form)
        assert saved.status_code == 303
        assert "Bread\ufffd" in (await browser.get(saved.headers["location"])).text


@pytest.mark.parametrize("path", ["/signup", "/login", "/logout", "/my-recipes/import"])
async def test_a_multipart_post_to_a_page_is_415(app: FastAPI, path: str) -> None:
    body, content_type = _multipart({"csrftoken": "x", "email": SURROGATE, "label": SURROGATE})
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        answer = await browser.post(path, content=body, headers={"content-type": content_type})
        assert answer.status_code == 415
        assert "post as plain form fields" in answer.text


async def test_the_recipe_form_posts_multipart_and_a_surrogate_becomes_a_replacement(
    app: FastAPI,
) -> None:
    # The recipe form carries a photo, so it is multipart: its token is read from
    # the body, and a part decoding to a lone surrogate is stored as U+FFFD.
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        forged, content_type = _multipart({"csrftoken": "x", "label": "Bread"})
        headers = {"content-type": content_type}
        refused = await browser.post("/my-recipes/new", content=forged, headers=headers)
        assert refused.status_code == 403
        token = csrf_token(await browser.get("/my-recipes/new"))
        body, content_type = _multipart({"csrftoken": token, "label": SURROGATE})
        saved = await browser.post(
            "/my-recipes/new", content=body, headers={"content-type": content_type}
        )
        assert saved.status_code == 303, saved.text
        assert "lone\ufffdsurrogate" in (await browser.get(saved.headers["location"])).text


async def test_a_lone_surrogate_in_an_api_login_is_a_wrong_login(
    client: httpx.AsyncClient,
) -> None:
    for username, password in (
        (f"{SURROGATE}@example.com", "long enough password"),
        ("cook@example.com", SURROGATE),
    ):
        body, content_type = _multipart({"username": username, "password": password})
        answer = await client.post(
            "/api/v1/auth/login", content=body, headers={"content-type": content_type}
        )
        assert answer.status_code == 401, answer.text
        assert answer.json() == {"detail": "Incorrect email or password"}


async def test_a_nul_in_the_search_box_is_a_message(client: httpx.AsyncClient) -> None:
    page = await client.get("/search", params={"q": "soup\x00soup"}, headers=HTML)
    assert page.status_code == 200
    assert "Type at least 3 characters" in page.text


async def test_web_emails_are_kept_as_typed_and_found_whatever_their_ascii_case(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "Cook@Example.com")
        mine = await browser.get("/my-recipes")
        assert "Logged in as Cook@example.com" in mine.text
    async with browser_for(app) as browser:
        page = await submit(
            browser,
            "/signup",
            "/signup",
            {"email": " COOK@example.com", "password": "other pw 123"},
        )
        assert field_errors(page)["email"] == "An account with this email exists"
        fullwidth = "\uff43\uff4f\uff4f\uff4b@example.com"  # "cook" in fullwidth letters
        page = await submit(
            browser, "/signup", "/signup", {"email": fullwidth, "password": "other pw 123"}
        )
        assert "stand for others" in field_errors(page)["email"]
    # The API knows the same identity.
    login = await client.post(
        "/api/v1/auth/login",
        data={"username": "cook@example.com", "password": "long enough password"},
    )
    assert login.status_code == 200


async def test_web_signups_count_against_the_signup_throttle(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"signup_max_per_client": 2}))
    async with app.router.lifespan_context(app), browser_for(app) as browser:
        api = await browser.post(
            "/api/v1/auth/signup", json={"email": "api@example.com", "password": "long enough"}
        )
        assert api.status_code == 201
        page = await submit(
            browser, "/signup", "/signup", {"email": "web1@example.com", "password": "long enough"}
        )
        assert page.status_code == 303
        # The API's signup and the form's share one count per address.
        page = await submit(
            browser, "/signup", "/signup", {"email": "web2@example.com", "password": "long enough"}
        )
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) > 0
        assert "Too many sign-ups from here. Try again in" in page.text
        assert 'value="web2@example.com"' in page.text
        assert "long enough" not in page.text


class _BusyPasswords(Passwords):
    """Every hash and check finds the hashing slots taken."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=1024, parallelism=1)

    async def hash_async(self, password: str) -> str:
        raise ServiceBusyError("Too many password checks at once", retry_after=1)

    async def verify_async(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        raise ServiceBusyError("Too many password checks at once", retry_after=1)


async def test_busy_hashing_is_a_form_message(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
    app.state.passwords = _BusyPasswords()
    async with browser_for(app) as browser:
        data = {"email": "new@example.com", "password": "long enough password"}
        page = await submit(browser, "/signup", "/signup", data)
        assert page.status_code == 503
        assert page.headers["retry-after"] == "1"
        assert "The site is busy right now. Please try again in 1 seconds." in page.text
        assert 'value="new@example.com"' in page.text

        data = {"email": "cook@example.com", "password": "long enough password", "next": "/"}
        page = await submit(browser, "/login", "/login", data)
        assert page.status_code == 503
        assert page.headers["retry-after"] == "1"
        assert "The site is busy right now." in page.text
        assert "session" not in browser.cookies


async def test_the_body_limit_answers_before_the_csrf_check_reads_the_form(
    app: FastAPI, settings: Settings
) -> None:
    big = b"email=" + b"a" * (settings.max_body_bytes + 1)
    async with browser_for(app) as browser:
        # No CSRF token at all: were the check outside the limit, this would be its 403
        # after reading the whole body.
        answer = await browser.post(
            "/login",
            content=big,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 413
        assert "x-process-time" in answer.headers
        assert "content-security-policy" in answer.headers

        async def chunks() -> object:
            for _ in range(settings.max_body_bytes // 65536 + 2):
                yield b"a" * 65536

        chunked = await browser.post(
            "/signup",
            content=chunks(),  # type: ignore[arg-type]
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert chunked.status_code == 413
        assert "x-process-time" in chunked.headers


async def test_the_site_may_not_change_another_cooks_recipe(app: FastAPI) -> None:
    async with browser_for(app) as owner, browser_for(app) as other:
        await sign_up_and_log_in(owner, "owner@example.com")
        await sign_up_and_log_in(other, "other@example.com")
        data = {"label": "Soup", "source": "Home", "url": "https://example.com/soup"}
        shared = {**data, "sharing": "public"}
        created = await submit(owner, "/my-recipes/new", "/my-recipes/new", shared)
        recipe_path = created.headers["location"].split("?")[0]
        token = csrf_token(await other.get("/my-recipes"))
        edit = await other.post(f"{recipe_path}/edit", data={"csrftoken": token, **data})
        delete = await other.post(f"{recipe_path}/delete", data={"csrftoken": token})
        assert edit.status_code == delete.status_code == 403
        # Kept private, it is not there for them at all: 404, as a missing recipe.
        kept = await submit(owner, "/my-recipes/new", "/my-recipes/new", data)
        kept_path = kept.headers["location"].split("?")[0]
        edit = await other.post(f"{kept_path}/edit", data={"csrftoken": token, **data})
        delete = await other.post(f"{kept_path}/delete", data={"csrftoken": token})
        assert edit.status_code == delete.status_code == 404
        gone = await other.post("/recipes/999999/delete", data={"csrftoken": token})
        assert gone.status_code == 404
        assert (await owner.get(recipe_path)).status_code == 200
