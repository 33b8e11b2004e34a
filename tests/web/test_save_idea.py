"""Saving an idea from the ideas page as a recipe, on both backends, with reddit emulated."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.settings import Settings
from tests.ideas.running import RunningFakeReddit
from tests.web.forms import browser_for, input_value, sign_up_and_log_in, stored_recipe

_CARD_FORM = re.compile(
    r'<form class="save-idea" method="post" action="/ideas/save">(.*?)</form>', re.S
)
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture
def settings(settings: Settings, reddit_emulator: RunningFakeReddit) -> Settings:
    return settings.model_copy(
        update={
            "reddit_base_url": reddit_emulator.url,
            "reddit_oauth_url": reddit_emulator.url,
            "ideas_deadline": 3.0,
        }
    )


def _cards(page: httpx.Response) -> list[dict[str, str]]:
    """The fields each card's "save as recipe" form posts, as a browser would send them."""
    return [
        {name: html.unescape(value) for name, value in _HIDDEN.findall(form)}
        for form in _CARD_FORM.findall(page.text)
    ]


async def _save(browser: httpx.AsyncClient, card: dict[str, str]) -> httpx.Response:
    return await browser.post("/ideas/save", data=card)


async def test_a_visitor_sees_log_in_links_and_no_forms(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        page = await browser.get("/ideas")
        assert page.status_code == 200
        assert _cards(page) == []
        links = page.text.count('<a href="/login?next=/ideas">Log in to save')
        assert links >= 3
        # Posting anyway leads to the login, which leads back to the ideas.
        response = await browser.post("/ideas/save", data={"title": "Soup"})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/ideas/save"
        back = await browser.get("/ideas/save")
        assert back.status_code == 303 and back.headers["location"] == "/ideas"


def app_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_saving_an_idea_creates_a_recipe_to_complete(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        page = await browser.get("/ideas")
        cards = _cards(page)
        assert len(cards) >= 3
        card = cards[0]
        assert card["subreddit"] == "recipes"
        assert card["title"] and card["url"].startswith("http")

        response = await _save(browser, card)
        assert response.status_code == 303, response.text
        match = re.fullmatch(r"/recipes/(\d+)/edit\?from_idea=1", response.headers["location"])
        assert match
        form = await browser.get(response.headers["location"])
        assert "Idea saved as a recipe. Add its ingredients and steps, then save." in form.text
        assert input_value(form, "label") == card["title"]
        assert input_value(form, "source") == "r/recipes"

        stored = await stored_recipe(app, match.group(1))
        assert stored["label"] == card["title"]
        assert stored["url"] == card["url"]
        assert stored["source"] == "r/recipes"
        assert stored["image_url"] == (card["image_url"] or None)
        assert stored["ingredients"] == [] and stored["instructions"] == []
        # Saved private: nobody else sees the empty recipe before the cook completes it.
        assert stored["private"] is True
        assert (await app_client(app).get(f"/api/v1/recipes/{stored['id']}")).status_code == 404
        if card["permalink"] != card["url"]:
            assert stored["description"] == f"Discussion on reddit: {card['permalink']}"
        mine = await browser.get("/my-recipes")
        assert card["title"] in html.unescape(mine.text)


async def test_a_long_title_is_shortened_and_kept_whole_in_the_description(
    app: FastAPI,
) -> None:
    title = "My grandmother's slow-cooked beef stew with root vegetables " * 6
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        card = _cards(await browser.get("/ideas"))[0] | {"title": title}
        response = await _save(browser, card)
        assert response.status_code == 303
        recipe_id = response.headers["location"].split("/")[2]
        stored = await stored_recipe(app, recipe_id)
        assert len(stored["label"]) <= 256 and stored["label"].endswith("…")
        assert title.startswith(stored["label"][:-1])
        assert stored["description"].startswith(title.strip())


@pytest.mark.parametrize(
    "tampered",
    [
        {"title": ""},
        {"title": "x" * 1001},
        {"subreddit": "../../admin"},
        {"subreddit": ""},
        {"url": "javascript:alert(1)"},
        {"image_url": "data:image/png;base64,AAAA"},
        {"permalink": "not a link"},
    ],
)
async def test_a_tampered_card_is_refused_and_saves_nothing(
    app: FastAPI, tampered: dict[str, str]
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        card = _cards(await browser.get("/ideas"))[0] | tampered
        response = await _save(browser, card)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert "That idea could not be saved" in response.text
        mine = await browser.get("/my-recipes")
        assert '<span class="count">0</span>' in mine.text


async def test_saving_needs_the_csrf_token(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        card = _cards(await browser.get("/ideas"))[0]
        for token in (None, "forged.token"):
            data = {k: v for k, v in card.items() if k != "csrftoken"}
            if token is not None:
                data["csrftoken"] = token
            response = await _save(browser, data)
            assert response.status_code == 403
        assert '<span class="count">0</span>' in (await browser.get("/my-recipes")).text


async def test_saving_the_same_idea_again_leads_to_the_recipe_already_saved(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        card = _cards(await browser.get("/ideas"))[0]
        first = await _save(browser, card)
        match = re.fullmatch(r"/recipes/(\d+)/edit\?from_idea=1", first.headers["location"])
        assert match
        recipe_id = match.group(1)

        again = await _save(browser, card)
        assert again.status_code == 303
        assert again.headers["location"] == f"/recipes/{recipe_id}?kept=1"
        page = await browser.get(again.headers["location"])
        assert "You saved this idea before" in page.text
        mine = (await browser.get("/my-recipes")).text
        assert set(re.findall(r'href="/recipes/(\d+)"', mine)) == {recipe_id}

    # Another cook saving the same idea gets a recipe of their own.
    async with browser_for(app) as other:
        await sign_up_and_log_in(other, "second@example.com")
        their_card = _cards(await other.get("/ideas"))[0]
        assert their_card["url"] == card["url"]
        theirs = await _save(other, their_card)
        assert re.fullmatch(r"/recipes/(\d+)/edit\?from_idea=1", theirs.headers["location"])
        assert theirs.headers["location"] != first.headers["location"]
