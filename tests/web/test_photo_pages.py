"""The photo on the website's recipe form, cards and recipe page, driven over HTTP."""

from __future__ import annotations

import io
import re

from fastapi import FastAPI
from PIL import Image

from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.media.images import bomb, photo
from tests.web.forms import browser_for, csrf_token, field_errors, sign_up_and_log_in

JPEG = "image/jpeg"


def _noisy_png() -> bytes:
    """About 3 MB: larger than the default body limit, within PHOTO_MAX_MB."""
    out = io.BytesIO()
    Image.effect_noise((1100, 1000), 80).convert("RGB").save(out, "PNG")
    return out.getvalue()


async def test_a_photo_added_with_a_recipe_shows_on_its_page_and_card(app: FastAPI) -> None:
    data = _noisy_png()
    assert len(data) > app.state.settings.max_body_bytes
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        saved = await browser.post(
            "/my-recipes/new",
            data={"csrftoken": token, "label": "Seeded Loaf"},
            files={"photo": ("loaf.png", data, "image/png")},
        )
        assert saved.status_code == 303, saved.text
        page = (await browser.get(saved.headers["location"])).text
        hero = re.search(r'<img class="recipe-photo"[^>]*>', page)
        assert hero, page
        assert 'fetchpriority="high"' in hero[0] and "loading=" not in hero[0]
        assert 'srcset="/media/photos/' in hero[0] and 'alt="Seeded Loaf"' in hero[0]
        assert 'width="1100" height="1000"' in hero[0]
        src = re.search(r'src="([^"]+)"', hero[0])
        assert src is not None
        assert (await browser.get(src[1])).headers["content-type"] == "image/webp"

        for listing in ("/", "/my-recipes", "/search?q=loaf"):
            card = re.search(r'<img class="card-photo"[^>]*>', (await browser.get(listing)).text)
            assert card, listing
            for attribute in ('loading="lazy"', "srcset=", "sizes=", "width=", "height=", 'alt=""'):
                assert attribute in card[0], (listing, attribute)


async def test_a_recipe_without_a_photo_has_a_placeholder_not_a_broken_image(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        saved = await browser.post("/my-recipes/new", data={"csrftoken": token, "label": "Plain"})
        page = (await browser.get(saved.headers["location"])).text
        assert '<div class="recipe-photo photo-placeholder" aria-hidden="true">' in page
        assert "<img" not in page.split("<main", 1)[-1]


async def test_a_bad_image_is_a_form_error_and_nothing_is_saved(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        for data, words in (
            (b"this is a text file", "not an image"),
            (bomb(), "too many pixels"),
        ):
            token = csrf_token(await browser.get("/my-recipes/new"))
            page = await browser.post(
                "/my-recipes/new",
                data={"csrftoken": token, "label": "Cake"},
                files={"photo": ("cake.jpg", data, JPEG)},
            )
            assert page.status_code == 422, page.text
            assert words in field_errors(page)["photo"].lower()
            assert 'value="Cake"' in page.text  # the typed fields are kept
        assert "Cake" not in (await browser.get("/my-recipes")).text


async def test_the_photo_is_replaced_and_removed_from_the_edit_page(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        saved = await browser.post(
            "/my-recipes/new",
            data={"csrftoken": token, "label": "Stew"},
            files={"photo": ("stew.jpg", photo(900, 600), JPEG)},
        )
        recipe_id = saved.headers["location"].split("/")[2].split("?")[0]
        edit = await browser.get(f"/recipes/{recipe_id}/edit")
        assert 'class="photo-preview"' in edit.text
        assert "Remove the photo" in edit.text
        first = re.search(r'class="photo-preview" src="([^"]+)"', edit.text)
        assert first is not None
        seen = re.search(r'name="seen" value="([^"]+)"', edit.text)
        assert seen is not None
        replaced = await browser.post(
            f"/recipes/{recipe_id}/edit",
            data={"csrftoken": csrf_token(edit), "label": "Stew", "seen": seen[1]},
            files={"photo": ("stew2.jpg", photo(700, 700), JPEG)},
        )
        assert replaced.status_code == 303, replaced.text
        assert (await browser.get(first[1])).status_code == 404
        edit = await browser.get(f"/recipes/{recipe_id}/edit")
        removed = await browser.post(
            f"/recipes/{recipe_id}/photo/delete", data={"csrftoken": csrf_token(edit)}
        )
        assert removed.status_code == 303
        after = await browser.get(removed.headers["location"])
        assert "Photo removed." in after.text and 'class="photo-preview"' not in after.text
        assert "photo-placeholder" in (await browser.get(f"/recipes/{recipe_id}")).text


async def test_another_cook_cannot_remove_the_photo(app: FastAPI) -> None:
    async with browser_for(app) as owner:
        await sign_up_and_log_in(owner, "owner@example.com")
        token = csrf_token(await owner.get("/my-recipes/new"))
        saved = await owner.post(
            "/my-recipes/new",
            data={"csrftoken": token, "label": "Pie", "sharing": "public"},
            files={"photo": ("pie.jpg", photo(600, 400), JPEG)},
        )
        location = saved.headers["location"].split("?")[0]
    async with browser_for(app) as other:
        await sign_up_and_log_in(other, "other@example.com")
        token = csrf_token(await other.get("/my-recipes"))
        refused = await other.post(f"{location}/photo/delete", data={"csrftoken": token})
        assert refused.status_code == 403
        assert 'class="recipe-photo"' in (await other.get(location)).text


async def test_the_forms_photo_hint_names_the_size_the_server_takes(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"photo_max_mb": 3}))
    async with app.router.lifespan_context(app), browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        new = await browser.get("/my-recipes/new")
        assert "GIF or AVIF of the dish, up to 3 MB." in new.text
        # The form shown again (a refused field) says the same.
        again = await browser.post(
            "/my-recipes/new", data={"csrftoken": csrf_token(new), "label": " "}
        )
        assert again.status_code == 422
        assert "up to 3 MB." in again.text
