"""The recipe form's details, and importing from a link, through the website on both backends."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.auth.throttle import Limit
from recipe_api.settings import Settings
from tests.web.forms import (
    browser_for,
    csrf_token,
    field_errors,
    hidden_value,
    input_value,
    sign_up_and_log_in,
    stored_recipe,
    submit,
    textarea_value,
)

EMPTY = {
    "label": "",
    "description": "",
    "ingredients": "",
    "instructions": "",
    "servings": "",
    "prep_minutes": "",
    "cook_minutes": "",
    "total_minutes": "",
    "tags": "",
    "cuisine": "",
    "category": "",
    "image_url": "",
    "source": "",
    "url": "",
}
DAL = {
    **EMPTY,
    "label": "Red lentil dal",
    "description": "Weeknight comfort, mostly from the cupboard.",
    "ingredients": "- 200 g red lentils\r\n\r\n* 1 onion, chopped\r\n2 cloves garlic, minced\r\n",
    "instructions": "1. Rinse the lentils.\r\n"
    "2) Soften the onion & garlic.\r\n"
    "Step 3: Simmer <20 min>.",
    "servings": "4 bowls",
    "prep_minutes": "10",
    "cook_minutes": "25",
    "tags": "Vegan, quick , vegan,  weeknight  dinner",
    "cuisine": "Indian",
    "category": "Main course",
    "image_url": "https://images.example.com/dal.jpg",
}


async def _add(browser: httpx.AsyncClient, data: dict[str, str]) -> int:
    response = await submit(browser, "/my-recipes/new", "/my-recipes/new", data)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/recipes/(\d+)\?saved=1", response.headers["location"])
    assert match
    return int(match.group(1))


async def test_a_recipe_with_every_detail_is_stored_and_shown(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        recipe_id = await _add(browser, DAL)

        stored = await stored_recipe(app, recipe_id)
        assert stored["ingredients"] == [
            "200 g red lentils",
            "1 onion, chopped",
            "2 cloves garlic, minced",
        ]
        assert stored["instructions"] == [
            "Rinse the lentils.",
            "Soften the onion & garlic.",
            "Simmer <20 min>.",
        ]
        assert stored["tags"] == ["vegan", "quick", "weeknight dinner"]
        assert (stored["prep_minutes"], stored["cook_minutes"], stored["total_minutes"]) == (
            10,
            25,
            35,
        )
        assert stored["servings"] == "4 bowls" and stored["cuisine"] == "Indian"
        assert stored["category"] == "Main course"
        assert stored["image_url"] == "https://images.example.com/dal.jpg"
        # Typed in at home: no source and no web address.
        assert stored["source"] == "" and stored["url"] == ""

        page = await browser.get(f"/recipes/{recipe_id}")
        # Each line and step a box to tick, in order.
        assert "<span>1 onion, chopped</span>" in page.text
        steps = page.text.split('<ol class="ticks">', 1)[1]
        assert steps.index("<span>Rinse the lentils.</span>") < steps.index(
            "<span>Soften the onion &amp; garlic.</span>"
        )
        assert "Simmer &lt;20 min&gt;." in page.text
        assert "Ready in 35 min" in page.text
        # A tag links to its listing.
        assert '<a class="tag" href="/search?tag=weeknight+dinner">weeknight dinner</a>' in (
            page.text
        )
        # The photo is a link: the page loads nothing from another origin.
        assert 'href="https://images.example.com/dal.jpg"' in page.text
        assert "<img" not in page.text
        assert "Weeknight comfort" in page.text


async def test_steps_can_be_paragraphs_of_several_lines(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        recipe_id = await _add(
            browser,
            {
                **EMPTY,
                "label": "Bread",
                "instructions": "Mix the flour\r\nand the water.\r\n  \r\n"
                "Knead for ten\r\nminutes.",
            },
        )
        stored = await stored_recipe(app, recipe_id)
        assert stored["instructions"] == ["Mix the flour and the water.", "Knead for ten minutes."]


async def test_bad_input_keeps_what_was_typed_with_a_message_per_field(app: FastAPI) -> None:
    typed = {
        **DAL,
        "label": "  ",
        "ingredients": "200 g red lentils\r\n" + "x" * 501,
        "prep_minutes": "ten",
        "cook_minutes": "-5",
        "total_minutes": "2.5",
        "tags": "ok, " + "t" * 65,
        "image_url": "dal.jpg",
        "url": "javascript:alert(1)",
        "description": "d" * 10_001,
    }
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        bad = await submit(browser, "/my-recipes/new", "/my-recipes/new", typed)
        assert bad.status_code == 422
        assert field_errors(bad) == {
            "label": "Give the recipe a name",
            "description": "Use at most 10,000 characters",
            "ingredients": "Line 2: Use at most 500 characters",
            "prep_minutes": "Enter a whole number of minutes, like 45",
            "cook_minutes": "Enter 0 or more minutes",
            "total_minutes": "Enter a whole number of minutes, like 45",
            "tags": "Tag 2: Use at most 64 characters",
            "image_url": "Enter the photo's full web address, starting with http:// or https://",
            "url": "Enter a full web address starting with http:// or https://",
        }
        # Everything typed is still there, as typed.
        assert textarea_value(bad, "ingredients") == typed["ingredients"]
        assert textarea_value(bad, "instructions") == typed["instructions"]
        assert input_value(bad, "prep_minutes") == "ten"
        assert input_value(bad, "tags") == typed["tags"]
        assert input_value(bad, "url") == "javascript:alert(1)"
        assert 'aria-invalid="true"' in bad.text
        mine = await browser.get("/my-recipes")
        assert '<span class="count">0</span>' in mine.text

        too_many = await submit(
            browser,
            "/my-recipes/new",
            "/my-recipes/new",
            {**DAL, "instructions": "\n".join(f"Step {n}." for n in range(201)).replace(".", "!")},
        )
        assert too_many.status_code == 422
        assert field_errors(too_many) == {"instructions": "At most 200 steps"}


async def test_the_edit_form_shows_the_details_and_an_emptied_field_is_cleared(
    app: FastAPI,
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        recipe_id = await _add(
            browser,
            {**DAL, "source": "Aunt Meena", "url": "https://example.com/dal", "total_minutes": ""},
        )
        form = await browser.get(f"/recipes/{recipe_id}/edit")
        assert textarea_value(form, "ingredients") == (
            "200 g red lentils\n1 onion, chopped\n2 cloves garlic, minced"
        )
        assert textarea_value(form, "instructions").split("\n")[0] == "Rinse the lentils."
        assert input_value(form, "tags") == "vegan, quick, weeknight dinner"
        # The total was prep plus cook: left empty, so it follows them.
        assert input_value(form, "total_minutes") == ""
        assert input_value(form, "prep_minutes") == "10"

        changed = {
            **DAL,
            "ingredients": "200 g red lentils\n1 onion, chopped",
            "cook_minutes": "",
            "tags": "",
            "source": "",
            "url": "",
            "image_url": "",
            "cuisine": "",
        }
        saved = await submit(
            browser, f"/recipes/{recipe_id}/edit", f"/recipes/{recipe_id}/edit", changed
        )
        assert saved.status_code == 303
        stored = await stored_recipe(app, recipe_id)
        assert stored["ingredients"] == ["200 g red lentils", "1 onion, chopped"]
        assert stored["cook_minutes"] is None and stored["total_minutes"] == 10
        assert stored["tags"] == [] and stored["url"] == "" and stored["source"] == ""
        assert stored["image_url"] is None and stored["cuisine"] is None
        assert stored["label"] == "Red lentil dal"

        # A total of its own (resting time, say) is shown and kept.
        await submit(
            browser,
            f"/recipes/{recipe_id}/edit",
            f"/recipes/{recipe_id}/edit",
            {**DAL, "total_minutes": "120"},
        )
        form = await browser.get(f"/recipes/{recipe_id}/edit")
        assert input_value(form, "total_minutes") == "120"
        again = {
            name: input_value(form, name) for name in ("label", "prep_minutes", "total_minutes")
        }
        again |= {name: textarea_value(form, name) for name in ("ingredients", "instructions")}
        await submit(
            browser, f"/recipes/{recipe_id}/edit", f"/recipes/{recipe_id}/edit", {**EMPTY, **again}
        )
        stored = await stored_recipe(app, recipe_id)
        assert stored["total_minutes"] == 120
        assert stored["instructions"] == [
            "Rinse the lentils.",
            "Soften the onion & garlic.",
            "Simmer <20 min>.",
        ]


# --- Import from a link -------------------------------------------------------------------


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The saved pages are served on loopback: allowed here, as the setting is meant for.
    return settings.model_copy(
        update={
            "import_allow_networks": ["127.0.0.0/8"],
            "import_max_bytes": 200_000,
            "import_timeout_seconds": 1.0,
        }
    )


async def test_importing_a_page_with_recipe_markup(app: FastAPI, pages_server: str) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        mine = await browser.get("/my-recipes")
        assert 'href="/my-recipes/import"' in mine.text
        response = await submit(
            browser, "/my-recipes/import", "/my-recipes/import", {"url": f"{pages_server}/moved"}
        )
        assert response.status_code == 303, response.text
        match = re.fullmatch(r"/recipes/(\d+)\?imported=1", response.headers["location"])
        assert match
        page = await browser.get(response.headers["location"])
        assert "Recipe imported." in page.text
        assert "Shakshuka with Feta" in page.text
        assert "<span>2 tablespoons olive oil</span>" in page.text
        stored = await stored_recipe(app, match.group(1))
        # The redirect was followed: the recipe links to the page it came from.
        assert stored["url"] == f"{pages_server}/jsonld"
        assert len(stored["instructions"]) >= 2
        assert "Shakshuka with Feta" in (await browser.get("/my-recipes")).text


async def test_a_pasted_page_is_imported_without_fetching(app: FastAPI) -> None:
    html = (Path(__file__).parent.parent / "recipes" / "pages" / "jsonld.html").read_text()
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        form = await browser.get("/my-recipes/import")
        assert 'id="paste"' in form.text and 'href="javascript:' in form.text
        # An address nothing serves: the pasted page is what is read.
        url = "https://refuses-servers.example/shakshuka"
        response = await submit(
            browser, "/my-recipes/import", "/my-recipes/import", {"url": url, "html": html}
        )
        assert response.status_code == 303, response.text
        match = re.fullmatch(r"/recipes/(\d+)\?imported=1", response.headers["location"])
        assert match
        stored = await stored_recipe(app, match.group(1))
        assert (stored["label"], stored["url"]) == ("Shakshuka with Feta", url)
        # A page without a recipe: the reason beside the pasted page, the address kept.
        response = await submit(
            browser,
            "/my-recipes/import",
            "/my-recipes/import",
            {"url": url, "html": "<title>Log in to Example</title><p>Members only</p>"},
        )
        assert response.status_code == 422
        assert field_errors(response)["html"].startswith(
            "The page “Log in to Example” has no recipe we can read"
        )


async def test_the_bookmarklet_post_shows_what_arrived_and_saves_nothing(app: FastAPI) -> None:
    html = (Path(__file__).parent.parent / "recipes" / "pages" / "jsonld.html").read_text()
    elsewhere = {"Origin": "https://recipes.example"}
    url = "https://recipes.example/shakshuka"
    async with browser_for(app) as browser, browser_for(app) as from_elsewhere:
        await sign_up_and_log_in(browser, "cook@example.com")
        # As from another site: no cookie comes with it (SameSite=Lax), and no token.
        received = await from_elsewhere.post(
            "/my-recipes/import/page", data={"url": url, "html": html}, headers=elsewhere
        )
        assert received.status_code == 200, received.text
        assert url in received.text and "Read the recipe" in received.text
        assert 'action="/my-recipes/import/page/read"' in received.text
        for data, words in [
            ({"url": url, "html": ""}, "No page arrived"),
            ({"url": url, "html": "x" * 200_001}, "larger than 200,000 bytes"),
            ({"url": "javascript:alert(1)", "html": html}, "starting with http:// or https://"),
        ]:
            refused = await from_elsewhere.post(
                "/my-recipes/import/page", data=data, headers=elsewhere
            )
            assert refused.status_code == 422 and words in refused.text, refused.text
        # Reading it from another site is refused; from ours it shows the recipe form.
        forged = await browser.post(
            "/my-recipes/import/page/read", data={"url": url, "html": html}, headers=elsewhere
        )
        assert forged.status_code == 403
        read = await browser.post(
            "/my-recipes/import/page/read",
            data={"url": url, "html": html},
            headers={"Origin": "http://test"},
        )
        assert read.status_code == 200, read.text
        assert input_value(read, "label") == "Shakshuka with Feta"
        assert input_value(read, "source") == "Ada (Example Kitchen)"
        assert 'action="/my-recipes/new"' in read.text
        assert '<span class="count">0</span>' in (await browser.get("/my-recipes")).text
        # A cook who logs in on the way comes back to the import page.
        back = await browser.get("/my-recipes/import/page/read")
        assert back.status_code == 303
        assert back.headers["location"] == "/my-recipes/import#bookmarklet"


async def test_a_site_that_refuses_us_points_to_the_paste_form(
    app: FastAPI, pages_server: str
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        response = await submit(
            browser,
            "/my-recipes/import",
            "/my-recipes/import",
            {"url": f"{pages_server}/status-403"},
        )
        assert response.status_code == 422
        assert 'href="#paste">paste the page</a>' in response.text


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (
            "/plain",
            422,
            "The page “My grandmother's kitchen” has no recipe we can read (no schema.org "
            "Recipe markup, JSON-LD or microdata): open the recipe's own page, or add the "
            "recipe by hand",
        ),
        ("/to-private", 400, "10.1.2.3 is not a public address"),
        ("/to-metadata", 400, "169.254.169.254 is not a public address"),
        (
            "/big",
            422,
            "The page is larger than 200,000 bytes, more than we read: add the recipe by hand",
        ),
        (
            "/slow",
            504,
            "The page did not arrive within 1 seconds: the site is too slow; try again "
            "later, or paste the page instead",
        ),
        (
            "/json",
            422,
            "The address is not a web page (not HTML: application/json): give the address "
            "of the recipe's own page",
        ),
        (
            "/missing",
            422,
            "There is no page at this address (127.0.0.1 answered 404 not found): check the link",
        ),
        (
            "/status-403",
            422,
            "127.0.0.1 refused our server (it answered 403); open the page in your browser "
            "and paste the page instead",
        ),
        (
            "/status-500",
            422,
            "127.0.0.1 had a server error (it answered 500): try again later, or paste the "
            "page instead",
        ),
    ],
)
async def test_an_import_that_fails_says_why_beside_the_address(
    app: FastAPI, pages_server: str, path: str, status: int, message: str
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        url = pages_server + path
        response = await submit(browser, "/my-recipes/import", "/my-recipes/import", {"url": url})
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        assert field_errors(response) == {"url": message}
        assert "The recipe could not be imported." in response.text
        assert input_value(response, "url") == url
        assert '<span class="count">0</span>' in (await browser.get("/my-recipes")).text


@pytest.mark.parametrize(
    "url", ["", "ftp://example.com/recipe", "not a link", "file:///etc/passwd"]
)
async def test_an_address_that_is_not_http_is_refused_before_any_fetch(
    app: FastAPI, url: str
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        response = await submit(browser, "/my-recipes/import", "/my-recipes/import", {"url": url})
        assert response.status_code == 422
        assert field_errors(response) == {
            "url": "Enter a full web address starting with http:// or https://"
        }


async def test_without_the_setting_a_local_address_is_refused(
    app: FastAPI, pages_server: str
) -> None:
    app.state.importer.allowed = ()
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        response = await submit(
            browser, "/my-recipes/import", "/my-recipes/import", {"url": f"{pages_server}/jsonld"}
        )
        assert response.status_code == 400
        assert field_errors(response) == {"url": "127.0.0.1 is not a public address"}


async def test_importing_needs_a_login_and_a_csrf_token(app: FastAPI, pages_server: str) -> None:
    async with browser_for(app) as browser:
        response = await browser.get("/my-recipes/import")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/my-recipes/import"
        await sign_up_and_log_in(browser, "cook@example.com")
        forged = await browser.post("/my-recipes/import", data={"url": f"{pages_server}/jsonld"})
        assert forged.status_code == 403
        assert '<span class="count">0</span>' in (await browser.get("/my-recipes")).text


async def test_editing_keeps_what_the_form_cannot_show_unless_the_cook_changes_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "api-cook@example.com")
        login = {"username": "api-cook@example.com", "password": "long enough password"}
        token = (await client.post("/api/v1/auth/login", data=login)).json()["access_token"]
        # Lists the API stores as they are, which the form's text would read otherwise.
        lists = {
            "ingredients": ["- 2 eggs (a dash in the name)", "salt"],
            "instructions": ["1. is part of this step", "Whisk,\nthen rest."],
            "tags": ["salt, pepper", "quick"],
        }
        created = await client.post(
            "/api/v1/recipes/",
            json={"label": "Eggs", "source": "", **lists},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201, created.text
        recipe_id = created.json()["id"]

        form = await browser.get(f"/recipes/{recipe_id}/edit")
        shown = {
            **EMPTY,
            "label": "Scrambled eggs",
            "ingredients": textarea_value(form, "ingredients").replace("\n", "\r\n"),
            "instructions": textarea_value(form, "instructions").replace("\n", "\r\n"),
            "tags": input_value(form, "tags"),
            "servings": input_value(form, "servings"),
        }
        saved = await submit(
            browser, f"/recipes/{recipe_id}/edit", f"/recipes/{recipe_id}/edit", shown
        )
        assert saved.status_code == 303, saved.text
        stored = await stored_recipe(app, recipe_id)
        assert stored["label"] == "Scrambled eggs"
        assert {name: stored[name] for name in lists} == lists

        # A list the cook edits is read from the form's text, as the form says.
        edited = {**shown, "tags": f"{shown['tags']}, brunch"}
        await submit(browser, f"/recipes/{recipe_id}/edit", f"/recipes/{recipe_id}/edit", edited)
        stored = await stored_recipe(app, recipe_id)
        assert stored["tags"] == ["salt", "pepper", "quick", "brunch"]
        assert stored["ingredients"] == lists["ingredients"]


async def test_an_edit_does_not_overwrite_a_change_made_after_the_form_opened(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "two-tabs@example.com")
        recipe_id = await _add(browser, DAL)
        login = {"username": "two-tabs@example.com", "password": "long enough password"}
        token = (await client.post("/api/v1/auth/login", data=login)).json()["access_token"]

        form = await browser.get(f"/recipes/{recipe_id}/edit")
        seen = hidden_value(form, "seen")
        # Meanwhile, another tab (here the API) changes the recipe.
        changed = await client.patch(
            f"/api/v1/recipes/{recipe_id}",
            json={"label": "Dal, changed elsewhere"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert changed.status_code == 200, changed.text

        mine = {**DAL, "label": "Dal, my edit", "seen": seen}
        edit = f"/recipes/{recipe_id}/edit"
        refused = await browser.post(edit, data={"csrftoken": csrf_token(form), **mine})
        assert refused.status_code == 409
        assert "changed elsewhere after you opened this page" in refused.text
        assert input_value(refused, "label") == "Dal, my edit"
        stored = await stored_recipe(app, recipe_id)
        assert stored["label"] == "Dal, changed elsewhere"

        # Saved again from that page (it carries the new version): the cook's edit wins.
        again = {**mine, "seen": hidden_value(refused, "seen")}
        saved = await browser.post(edit, data={"csrftoken": csrf_token(refused), **again})
        assert saved.status_code == 303, saved.text
        stored = await stored_recipe(app, recipe_id)
        assert stored["label"] == "Dal, my edit"


async def test_too_many_imports_say_when_to_try_again(app: FastAPI, pages_server: str) -> None:
    app.state.importer.per_cook = Limit(1, 600)
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        url = f"{pages_server}/jsonld"
        first = await submit(browser, "/my-recipes/import", "/my-recipes/import", {"url": url})
        assert first.status_code == 303
        again = await submit(browser, "/my-recipes/import", "/my-recipes/import", {"url": url})
        assert again.status_code == 429
        wait = int(again.headers["retry-after"])
        assert 590 <= wait <= 600
        assert field_errors(again) == {
            "url": f"Too many imports: at most 1 every 600 s; try again in {wait} s"
        }
        assert input_value(again, "url") == url
