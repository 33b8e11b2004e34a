"""A stranger's wrong passwords for an email do not keep its owner out (decision 0003).

The stranger and the owner are two client addresses. The stranger's
failures lock the email; the owner then proves the mailbox with the emailed
reset link (API and website) or changes the password from a session they
already had, and logs in at once, even while the flood goes on. With the
in-process counter and with the Redis one. Before issue 19 the owner's new
password got 429 for the rest of the window.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import free_port, login, serving
from tests.email.smtp import Mailbox, eventually, smtp_server, token_in
from tests.web.forms import HTML, csrf_token

PASSWORD = "long enough password"
NEW_PASSWORD = "a brand new password"
MAX_FAILURES = 5
STRANGER = ("203.0.113.7", 40000)
OWNER = ("198.51.100.2", 40001)


@dataclass
class TwoPlaces:
    app: FastAPI
    stranger: httpx.AsyncClient
    owner: httpx.AsyncClient


@pytest.fixture(params=["memory", "redis"])
async def places(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[TwoPlaces]:
    changes: dict[str, object] = {
        "login_max_failures": MAX_FAILURES,
        "login_max_failures_per_client": 1000,
    }
    if request.param == "redis":
        changes["redis_url"] = request.getfixturevalue("redis_url")
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        if request.param == "redis":
            # A fresh key space, so runs never see each other's counts.
            app.state.login_throttle.counter.prefix = f"test:{uuid.uuid4().hex}:"

        def at(address: tuple[str, int]) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=address)
            return httpx.AsyncClient(transport=transport, base_url="http://testserver")

        async with at(STRANGER) as stranger, at(OWNER) as owner:
            yield TwoPlaces(app=app, stranger=stranger, owner=owner)


async def _locked_out(places: TwoPlaces, email: str) -> None:
    signup = await places.owner.post(
        "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert signup.status_code == 201, signup.text
    await _flood(places, email)
    assert (await login(places.owner, email, PASSWORD)).status_code == 429


async def _flood(places: TwoPlaces, email: str) -> None:
    statuses = [
        (await login(places.stranger, email, "a wrong guess")).status_code
        for _ in range(MAX_FAILURES + 2)
    ]
    assert set(statuses) <= {401, 429} and statuses[-1] == 429, statuses


async def _reset_token(places: TwoPlaces, mailbox: Mailbox, email: str) -> str:
    asked = await places.owner.post("/api/v1/auth/password-reset", json={"email": email})
    assert asked.status_code == 202, asked.text
    (reset,) = await eventually(lambda: [m for m in mailbox.to(email) if "Reset" in m["Subject"]])
    return token_in(reset)


async def test_a_reset_by_the_emailed_link_lets_the_owner_in(
    places: TwoPlaces, mailbox: Mailbox
) -> None:
    email = "locked@example.com"
    await _locked_out(places, email)
    token = await _reset_token(places, mailbox, email)
    confirm = {"token": token, "new_password": NEW_PASSWORD}
    done = await places.owner.post("/api/v1/auth/password-reset/confirm", json=confirm)
    assert done.status_code == 200, done.text
    assert (await login(places.owner, email, NEW_PASSWORD)).status_code == 200

    # The flood goes on: the stranger is held back, the owner still gets in.
    await _flood(places, email)
    assert (await login(places.stranger, email, NEW_PASSWORD)).status_code == 429
    assert (await login(places.owner, email, NEW_PASSWORD)).status_code == 200
    # The owner's own wrong passwords still count, on a limit of their own.
    owner_guesses = [
        (await login(places.owner, email, "owner's typo")).status_code
        for _ in range(MAX_FAILURES + 1)
    ]
    assert owner_guesses == [401] * MAX_FAILURES + [429]


async def test_a_reset_on_the_website_lets_the_owner_log_in_there(
    places: TwoPlaces, mailbox: Mailbox
) -> None:
    email = "web-locked@example.com"
    await _locked_out(places, email)
    token = await _reset_token(places, mailbox, email)
    places.owner.headers.update(HTML)
    form = await places.owner.get("/reset-password", params={"token": token})
    reset = await places.owner.post(
        "/reset-password",
        data={"csrftoken": csrf_token(form), "token": token, "new_password": NEW_PASSWORD},
    )
    assert reset.status_code == 303, reset.text
    form = await places.owner.get("/login")
    logged_in = await places.owner.post(
        "/login", data={"csrftoken": csrf_token(form), "email": email, "password": NEW_PASSWORD}
    )
    assert logged_in.status_code == 303, logged_in.text
    assert logged_in.headers["location"] == "/"


async def test_a_password_change_from_a_session_is_not_blocked_and_clears_the_count(
    places: TwoPlaces, mailbox: Mailbox
) -> None:
    email = "changer@example.com"
    signup = await places.owner.post(
        "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert signup.status_code == 201
    token = (await login(places.owner, email, PASSWORD)).json()["access_token"]
    await _flood(places, email)
    changed = await places.owner.post(
        "/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert changed.status_code == 200, changed.text
    # The owner proved the password: the stranger's failures are gone.
    assert (await login(places.owner, email, NEW_PASSWORD)).status_code == 200


async def test_wrong_current_passwords_on_a_change_are_still_limited(
    places: TwoPlaces, mailbox: Mailbox
) -> None:
    email = "stolen-session@example.com"
    await places.owner.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    token = (await login(places.owner, email, PASSWORD)).json()["access_token"]
    statuses = [
        (
            await places.stranger.post(
                "/api/v1/auth/change-password",
                json={"current_password": f"guess {n}", "new_password": NEW_PASSWORD},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).status_code
        for n in range(MAX_FAILURES + 1)
    ]
    assert statuses == [400] * MAX_FAILURES + [429]


def test_two_workers_share_the_unlock(postgresql_url: str, redis_url: str, tmp_path: Path) -> None:
    """Served by two workers behind one Redis: the reset, the logins and the flood each land
    on whichever worker the kernel picks, and the unlock holds on both."""
    smtp_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": postgresql_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "LOGIN_MAX_FAILURES_PER_CLIENT": "100000",
        "SIGNUP_MAX_PER_CLIENT": "100000",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "OUTBOX_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
    }
    # The two places are told apart by the address the (trusted, local) proxy forwards.
    stranger = {"X-Forwarded-For": STRANGER[0]}
    owner = {"X-Forwarded-For": OWNER[0]}
    email = f"two-workers-{uuid.uuid4().hex[:8]}@example.com"
    with (
        smtp_server(smtp_port) as mailbox,
        serving(["--workers", "2", "--no-migrate", "--proxy-headers"], env, tmp_path) as server,
    ):

        def send(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> int:
            # A connection per request: the kernel picks the worker each time.
            with httpx.Client(base_url=server.url, timeout=10) as http:
                response = http.request(method, path, headers=headers, **kwargs)
                return response.status_code

        def log_in(headers: dict[str, str], password: str) -> int:
            data = {"username": email, "password": password}
            return send("POST", "/api/v1/auth/login", headers, data=data)

        body = {"email": email, "password": PASSWORD}
        assert send("POST", "/api/v1/auth/signup", owner, json=body) == 201
        flood = [log_in(stranger, "a wrong guess") for _ in range(MAX_FAILURES + 2)]
        assert flood[-1] == 429
        assert log_in(owner, PASSWORD) == 429
        assert send("POST", "/api/v1/auth/password-reset", owner, json={"email": email}) == 202
        deadline = time.monotonic() + 15
        while not [m for m in mailbox.to(email) if "Reset" in m["Subject"]]:
            assert time.monotonic() < deadline, "no reset email"
            time.sleep(0.1)
        (reset,) = [m for m in mailbox.to(email) if "Reset" in m["Subject"]]
        confirm = {"token": token_in(reset), "new_password": NEW_PASSWORD}
        assert send("POST", "/api/v1/auth/password-reset/confirm", owner, json=confirm) == 200
        # The reset cleared the email's count; the flood goes on and fills it again.
        flood = [log_in(stranger, "still guessing") for _ in range(MAX_FAILURES + 2)]
        assert flood[-1] == 429
        for _ in range(4):
            assert log_in(owner, NEW_PASSWORD) == 200
            assert log_in(stranger, NEW_PASSWORD) == 429
