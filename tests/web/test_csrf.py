"""CSRF tokens belong to one session, and a post from another site is refused, on every backend.

Each attack is the one that got through before: a (cookie, token) pair taken
by an anonymous visitor or by another cook, posted with a victim's session,
and a form post carrying ``Origin: http://evil.example``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.settings import Settings
from tests.conftest import serving
from tests.web.forms import HTML, browser_for, csrf_token, sign_up_and_log_in, submit

RECIPE = {"label": "Forged", "source": "", "url": "https://example.com/forged"}


async def _my_labels(browser: httpx.AsyncClient) -> str:
    return (await browser.get("/my-recipes")).text


def _cookie(browser: httpx.AsyncClient, name: str) -> str:
    value = browser.cookies.get(name)
    assert value, f"no {name} cookie"
    return value


async def test_an_anonymous_visitors_pair_is_refused_with_a_cooks_session(app: FastAPI) -> None:
    async with browser_for(app) as attacker, browser_for(app) as victim:
        page = await attacker.get("/login")
        pair = {"csrftoken": _cookie(attacker, "csrftoken")}
        token = csrf_token(page)
        await sign_up_and_log_in(victim, "victim@example.com")
        # The victim's browser carries the attacker's csrftoken cookie (set from a
        # sibling subdomain, say) beside its own session, and the attacker's form token.
        victim.cookies.set("csrftoken", pair["csrftoken"])
        forged = await victim.post("/my-recipes/new", data={"csrftoken": token, **RECIPE})
        assert forged.status_code == 403
        assert "This form has expired" in forged.text
        assert "Forged" not in await _my_labels(victim)


async def test_another_cooks_pair_is_refused_with_the_victims_session(app: FastAPI) -> None:
    async with browser_for(app) as attacker, browser_for(app) as victim:
        await sign_up_and_log_in(attacker, "attacker@example.com")
        token = csrf_token(await attacker.get("/my-recipes/new"))
        await sign_up_and_log_in(victim, "victim@example.com")
        if "csrftoken" in attacker.cookies:  # the whole pair, planted beside the session
            victim.cookies.set("csrftoken", attacker.cookies["csrftoken"])
        forged = await victim.post("/my-recipes/new", data={"csrftoken": token, **RECIPE})
        assert forged.status_code == 403
        logout = await victim.post("/logout", data={"csrftoken": token})
        assert logout.status_code == 403
        assert "Forged" not in await _my_labels(victim)
        # The victim's own token works: the refusal was the token, not the form.
        own = csrf_token(await victim.get("/my-recipes/new"))
        saved = await victim.post("/my-recipes/new", data={"csrftoken": own, **RECIPE})
        assert saved.status_code == 303


async def test_logging_in_changes_the_token(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        before = csrf_token(await browser.get("/login"))
        await sign_up_and_log_in(browser, "cook@example.com")
        after = csrf_token(await browser.get("/my-recipes/new"))
        assert after != before
        stale = await browser.post("/my-recipes/new", data={"csrftoken": before, **RECIPE})
        assert stale.status_code == 403
        # Two sessions of one cook have two tokens.
        async with browser_for(app) as other:
            login = {"email": "cook@example.com", "password": "long enough password"}
            assert (await submit(other, "/login", "/login", login)).status_code == 303
            assert csrf_token(await other.get("/my-recipes/new")) != after


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "https://test"},  # the same host over another scheme is another origin
        {"referer": "http://evil.example/page"},
    ],
)
async def test_a_post_from_another_site_is_refused_even_with_a_good_token(
    app: FastAPI, headers: dict[str, str]
) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        forged = await browser.post(
            "/my-recipes/new", data={"csrftoken": token, **RECIPE}, headers=headers
        )
        assert forged.status_code == 403
        assert "This form has expired" in forged.text
        assert forged.headers["content-type"].startswith("text/html")
        assert "Forged" not in await _my_labels(browser)


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://test"}, {"referer": "http://test/my-recipes/new"}, {}],
)
async def test_a_post_from_this_site_passes(app: FastAPI, headers: dict[str, str]) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        saved = await browser.post(
            "/my-recipes/new", data={"csrftoken": token, **RECIPE}, headers=headers
        )
        assert saved.status_code == 303


async def test_a_login_from_another_site_is_refused(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        token = csrf_token(await browser.get("/signup"))
        data = {"csrftoken": token, "email": "new@example.com", "password": "long enough password"}
        refused = await browser.post(
            "/signup", data=data, headers={"origin": "http://evil.example"}
        )
        assert refused.status_code == 403
        assert (await browser.post("/signup", data=data)).status_code == 303


async def test_the_public_base_url_is_this_site(app: FastAPI, settings: Settings) -> None:
    """Behind a proxy that terminates TLS, the server may see http while users see https."""
    public = settings.public_base_url.rstrip("/")
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        token = csrf_token(await browser.get("/my-recipes/new"))
        saved = await browser.post(
            "/my-recipes/new", data={"csrftoken": token, **RECIPE}, headers={"origin": public}
        )
        assert saved.status_code == 303


def test_two_workers_refuse_a_foreign_token_and_take_the_cooks_own(
    settings: Settings, tmp_path: Path
) -> None:
    """The token is an HMAC under the shared key: any worker checks any session's."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key or "",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "SIGNUP_MAX_PER_CLIENT": "100000",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_SENDER": "false",
        "PRUNE_IN_WORKERS": "false",
    }
    for name in ("REDIS_URL", "WEB_CONCURRENCY", "ENVIRONMENT"):
        env.pop(name, None)
    with serving(["--workers", "2"], env, tmp_path) as server:
        cooks = []
        for email in (f"a-{uuid.uuid4().hex[:8]}@example.com", f"v-{uuid.uuid4().hex[:8]}@x.org"):
            browser = httpx.Client(base_url=server.url, headers=HTML)
            for path, data in (
                ("/signup", {"email": email, "password": "long enough password"}),
                ("/login", {"email": email, "password": "long enough password"}),
            ):
                token = csrf_token(browser.get(path))
                assert browser.post(path, data={"csrftoken": token, **data}).status_code == 303
            cooks.append(browser)
        attacker, victim = cooks
        try:
            foreign = csrf_token(attacker.get("/my-recipes/new"))
            # Enough posts for both workers to answer some (the kernel spreads connections).
            for _ in range(10):
                fresh = httpx.Client(base_url=server.url, headers=HTML, cookies=victim.cookies)
                with fresh:
                    forged = fresh.post("/my-recipes/new", data={"csrftoken": foreign, **RECIPE})
                    assert forged.status_code == 403
                    own = csrf_token(fresh.get("/my-recipes/new"))
                    evil = fresh.post(
                        "/my-recipes/new",
                        data={"csrftoken": own, **RECIPE},
                        headers={"origin": "http://evil.example"},
                    )
                    assert evil.status_code == 403
            own = csrf_token(victim.get("/my-recipes/new"))
            saved = victim.post(
                "/my-recipes/new",
                data={"csrftoken": own, **RECIPE},
                headers={"origin": server.url},
            )
            assert saved.status_code == 303
            assert '<span class="count">1</span>' in victim.get("/my-recipes").text
        finally:
            for browser in cooks:
                browser.close()
