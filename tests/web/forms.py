"""Helpers for driving the website's forms over HTTP, as a browser without JavaScript would."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

HTML = {"accept": "text/html,application/xhtml+xml"}
_TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')
_FIELD_ERROR = re.compile(r'class="field-error" id="([a-z_]+)-error">([^<]+)<')


def csrf_token(page: httpx.Response) -> str:
    match = _TOKEN.search(page.text)
    assert match, "the page has no CSRF field"
    return match.group(1)


def field_errors(page: httpx.Response) -> dict[str, str]:
    return {name: html.unescape(text) for name, text in _FIELD_ERROR.findall(page.text)}


def input_value(page: httpx.Response, name: str) -> str:
    """The value a form's text field shows, unescaped."""
    match = re.search(rf'<input id="{name}" name="{name}" type="\w+" value="([^"]*)"', page.text)
    assert match, f"no {name} field"
    return html.unescape(match.group(1))


def hidden_value(page: httpx.Response, name: str) -> str:
    """The value of a form's hidden field."""
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page.text)
    assert match, f"no hidden {name} field"
    return html.unescape(match.group(1))


def textarea_value(page: httpx.Response, name: str) -> str:
    """The text a form's text area shows, unescaped."""
    pattern = rf'<textarea id="{name}" name="{name}"[^>]*>\n(.*?)</textarea>'
    match = re.search(pattern, page.text, re.S)
    assert match, f"no {name} text area"
    return html.unescape(match.group(1))


async def submit(
    browser: httpx.AsyncClient, form_page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Opens the page with the form, then posts ``data`` with the page's CSRF token."""
    page = await browser.get(form_page)
    assert page.status_code == 200, page.text
    return await browser.post(action, data={"csrftoken": csrf_token(page), **data})


async def sign_up_and_log_in(
    browser: httpx.AsyncClient, email: str, password: str = "long enough password"
) -> None:
    response = await submit(browser, "/signup", "/signup", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    response = await submit(browser, "/login", "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text


@asynccontextmanager
async def browser_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that asks for HTML and keeps its own cookies, like one browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=HTML
    ) as client:
        yield client


async def stored_recipe(app: FastAPI, recipe_id: int | str) -> dict[str, Any]:
    """The recipe as the API answers it, whoever may see it (a form's recipe starts private)."""
    from recipe_api.recipes.service import get_recipe
    from recipe_api.recipes.visibility import EVERYTHING

    recipe = await get_recipe(app.state.db, int(recipe_id), EVERYTHING)
    stored: dict[str, Any] = json.loads(recipe.__pydantic_serializer__.to_json(recipe))
    return stored
