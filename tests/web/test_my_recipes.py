"""Adding, editing and deleting recipes through the website; ownership and CSRF."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.conftest import SUPERUSER_EMAIL, SUPERUSER_PASSWORD, Account
from tests.web.forms import browser_for, csrf_token, field_errors, sign_up_and_log_in, submit

RECIPE = {"label": "Green shakshuka", "source": "Home", "url": "https://example.com/shakshuka"}


async def _add(browser: httpx.AsyncClient, data: dict[str, str]) -> int:
    response = await submit(browser, "/my-recipes/new", "/my-recipes/new", data)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/recipes/(\d+)\?saved=1", response.headers["location"])
    assert match
    return int(match.group(1))


async def test_add_edit_delete_with_confirmation(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        bad = await submit(
            browser, "/my-recipes/new", "/my-recipes/new", {**RECIPE, "label": " ", "url": "nope"}
        )
        assert bad.status_code == 422
        assert field_errors(bad) == {
            "label": "Give the recipe a name",
            "url": "Enter a full web address starting with http:// or https://",
        }
        assert 'value="Home"' in bad.text and 'value="nope"' in bad.text

        recipe_id = await _add(browser, RECIPE)
        page = await browser.get(f"/recipes/{recipe_id}?saved=1")
        assert "Recipe saved." in page.text
        assert "Green shakshuka" in page.text
        assert f'href="/recipes/{recipe_id}/edit"' in page.text
        mine = await browser.get("/my-recipes")
        assert "Green shakshuka" in mine.text and '<span class="count">1</span>' in mine.text

        edited = await submit(
            browser,
            f"/recipes/{recipe_id}/edit",
            f"/recipes/{recipe_id}/edit",
            {**RECIPE, "label": "Red shakshuka"},
        )
        assert edited.status_code == 303
        assert "Red shakshuka" in (await browser.get(f"/recipes/{recipe_id}")).text

        confirm = await browser.get(f"/recipes/{recipe_id}/delete")
        assert "Delete “Red shakshuka”?" in confirm.text
        # Opening the confirmation deletes nothing.
        assert (await browser.get(f"/recipes/{recipe_id}")).status_code == 200
        deleted = await browser.post(
            f"/recipes/{recipe_id}/delete", data={"csrftoken": csrf_token(confirm)}
        )
        assert deleted.headers["location"] == "/my-recipes?deleted=1"
        assert (await browser.get(f"/recipes/{recipe_id}")).status_code == 404
        assert "Recipe deleted." in (await browser.get("/my-recipes?deleted=1")).text


async def test_another_cook_sees_no_controls_and_a_forged_post_gets_403(app: FastAPI) -> None:
    async with browser_for(app) as owner, browser_for(app) as other:
        await sign_up_and_log_in(owner, "owner@example.com")
        await sign_up_and_log_in(other, "other@example.com")
        recipe_id = await _add(owner, {**RECIPE, "sharing": "public"})

        page = await other.get(f"/recipes/{recipe_id}")
        assert page.status_code == 200
        assert f"/recipes/{recipe_id}/edit" not in page.text
        assert f"/recipes/{recipe_id}/delete" not in page.text
        assert (await other.get(f"/recipes/{recipe_id}/edit")).status_code == 403

        # A valid token of the other cook's own: the CSRF check passes, ownership does not.
        token = csrf_token(await other.get("/my-recipes/new"))
        forged = await other.post(
            f"/recipes/{recipe_id}/edit", data={"csrftoken": token, **RECIPE, "label": "Mine"}
        )
        assert forged.status_code == 403
        assert forged.headers["content-type"].startswith("text/html")
        assert "That is not yours to change" in forged.text
        gone = await other.post(f"/recipes/{recipe_id}/delete", data={"csrftoken": token})
        assert gone.status_code == 403
        assert "Green shakshuka" in (await owner.get(f"/recipes/{recipe_id}")).text


async def test_a_superuser_may_edit_any_recipe(app: FastAPI, superuser: Account) -> None:
    async with browser_for(app) as owner, browser_for(app) as admin:
        await sign_up_and_log_in(owner, "owner@example.com")
        recipe_id = await _add(owner, RECIPE)
        login = await submit(
            admin, "/login", "/login", {"email": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}
        )
        assert login.status_code == 303
        assert f"/recipes/{recipe_id}/edit" in (await admin.get(f"/recipes/{recipe_id}")).text
        edited = await submit(
            admin,
            f"/recipes/{recipe_id}/edit",
            f"/recipes/{recipe_id}/edit",
            {**RECIPE, "source": "Checked by the editors"},
        )
        assert edited.status_code == 303
        assert "Checked by the editors" in (await owner.get(f"/recipes/{recipe_id}")).text


async def test_posts_without_a_valid_csrf_token_are_refused(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        for token in (None, "", "forged.token"):
            data = dict(RECIPE) if token is None else {"csrftoken": token, **RECIPE}
            response = await browser.post("/my-recipes/new", data=data)
            assert response.status_code == 403
            assert "This form has expired" in response.text
        assert "Green shakshuka" not in (await browser.get("/my-recipes")).text

        # A token from another browser does not fit this browser's cookie.
        async with browser_for(app) as stranger:
            foreign = csrf_token(await stranger.get("/login"))
        response = await browser.post("/logout", data={"csrftoken": foreign})
        assert response.status_code == 403

    # The login form is checked even for a browser without any cookie (login CSRF).
    async with browser_for(app) as fresh:
        response = await fresh.post(
            "/login", data={"email": "cook@example.com", "password": "long enough password"}
        )
        assert response.status_code == 403
        assert "session" not in fresh.cookies


async def test_the_csrf_token_changes_at_login(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        before = csrf_token(await browser.get("/login"))
        await sign_up_and_log_in(browser, "cook@example.com")
        after = csrf_token(await browser.get("/my-recipes/new"))
        assert after != before
        response = await browser.post("/my-recipes/new", data={"csrftoken": before, **RECIPE})
        assert response.status_code == 403


async def test_pages_for_cooks_send_visitors_to_log_in(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        for path in ("/my-recipes", "/my-recipes/new", "/recipes/1/edit", "/recipes/1/delete"):
            response = await browser.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == f"/login?next={path}"
        page = await browser.get("/login?next=//evil.example/")
        assert 'name="next" value="/"' in page.text


async def test_my_recipes_api_lists_only_the_callers_recipes(
    client: httpx.AsyncClient, make_account: object
) -> None:
    from tests.conftest import MakeAccount

    assert callable(make_account)
    make: MakeAccount = make_account
    ada, bob = await make("ada@example.com"), await make("bob@example.com")
    for who, label in ((ada, "Ada's soup"), (bob, "Bob's stew"), (ada, "Ada's cake")):
        response = await client.post(
            "/api/v1/recipes/", json={**RECIPE, "label": label}, headers=who.headers
        )
        assert response.status_code == 201
    mine = await client.get("/api/v1/recipes/my-recipes/", headers=ada.headers)
    assert mine.status_code == 200
    body = mine.json()
    assert [r["label"] for r in body["results"]] == ["Ada's cake", "Ada's soup"]
    assert body["total"] == 2 and body["skip"] == 0 and body["limit"] == 20
    assert (await client.get("/api/v1/recipes/my-recipes/")).status_code == 401
    limited = await client.get("/api/v1/recipes/my-recipes/?limit=101", headers=ada.headers)
    assert limited.status_code == 422
