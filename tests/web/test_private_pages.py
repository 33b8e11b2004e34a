"""A logged-in cook's pages are kept by no cache; HSTS in production over HTTPS, on every backend.

HSTS is checked both ways a request comes over HTTPS: straight to the app
(the ASGI scope's scheme), and through a proxy's ``X-Forwarded-Proto`` that
``recipe-api serve --proxy-headers`` trusts from ``--forwarded-allow-ips``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import serving
from tests.web.forms import HTML, browser_for, csrf_token, sign_up_and_log_in

PRIVATE = "private, no-store"
HSTS = "max-age=63072000; includeSubDomains"
RECIPE = {"label": "Soup", "source": "", "url": "https://example.com/soup"}


async def test_a_logged_in_cooks_pages_are_private(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        home = await browser.get("/")
        assert "no-store" not in home.headers.get("cache-control", "")
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        saved = await browser.post(
            "/my-recipes/new", data={"csrftoken": token, **RECIPE, "sharing": "public"}
        )
        assert saved.status_code == 303
        recipe = saved.headers["location"]
        for path in ("/", "/my-recipes", recipe, "/search?q=soup", "/ideas", "/no-such-page"):
            response = await browser.get(path)
            assert response.headers.get("cache-control") == PRIVATE, path
        assert saved.headers.get("cache-control") == PRIVATE
        # The same recipe page for a visitor: no cookie, nothing private in it.
        async with browser_for(app) as visitor:
            public = await visitor.get(recipe)
            assert public.status_code == 200
            assert "no-store" not in public.headers.get("cache-control", "")


async def test_a_form_bound_to_a_visitors_cookie_is_private(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        page = await browser.get("/login")
        assert "csrftoken" in page.headers.get("set-cookie", "")
        assert page.headers.get("cache-control") == PRIVATE


@asynccontextmanager
async def _browser(settings: Settings, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, headers=HTML) as b:
            yield b


def _production(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"environment": "production", "first_superuser_password": "a strong password!"}
    )


@pytest.mark.parametrize(
    ("production", "base_url", "sent"),
    [
        (True, "https://test", True),
        (True, "http://test", False),
        (False, "https://test", False),
    ],
)
async def test_hsts_in_production_over_https(
    settings: Settings, production: bool, base_url: str, sent: bool
) -> None:
    chosen = _production(settings) if production else settings
    async with _browser(chosen, base_url) as browser:
        for path in ("/", "/login", "/api/v1/recipes/", "/health/live"):
            response = await browser.get(path)
            assert response.status_code == 200, path
            assert (response.headers.get("strict-transport-security") == HSTS) is sent, path


def _serve_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key or "",
        "FIRST_SUPERUSER_PASSWORD": "a strong password!",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_SENDER": "false",
        "PRUNE_IN_WORKERS": "false",
    }
    for name in ("REDIS_URL", "WEB_CONCURRENCY", "PROXY_HEADERS", "FORWARDED_ALLOW_IPS"):
        env.pop(name, None)
    return env


def test_hsts_through_a_trusted_proxys_header(settings: Settings, tmp_path: Path) -> None:
    env = _serve_env(settings, tmp_path)
    https = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
    args = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
    with serving(args, env, tmp_path) as server:
        behind = httpx.get(f"{server.url}/login", headers=https)
        assert behind.headers.get("strict-transport-security") == HSTS
        plain = httpx.get(f"{server.url}/login")
        assert "strict-transport-security" not in plain.headers
    # Without --proxy-headers the header is anyone's to send: not trusted.
    with serving([], env, tmp_path) as server:
        untrusted = httpx.get(f"{server.url}/login", headers=https)
        assert "strict-transport-security" not in untrusted.headers
