"""Failed logins are throttled per email and per client address, in process or in Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from recipe_api.auth.security import Passwords
from recipe_api.auth.throttle import Limit, MemoryAttempts
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import MakeAccount, login


@pytest.fixture(params=["memory", "redis"])
async def throttled_client(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    changes: dict[str, object] = {
        "login_max_failures": 3,
        "login_max_failures_per_client": 6,
        "signup_max_per_client": 3,
    }
    if request.param == "redis":
        changes["redis_url"] = request.getfixturevalue("redis_url")
    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        if request.param == "redis":
            # A fresh key space, so runs never see each other's counts.
            app.state.login_throttle.counter.prefix = f"test:{uuid.uuid4().hex}:"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


async def test_too_many_failures_for_one_email(
    throttled_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = throttled_client
    await client.post(
        "/api/v1/auth/signup", json={"email": "victim@example.com", "password": "right password"}
    )
    for _ in range(3):
        assert (await login(client, "victim@example.com", "wrong password")).status_code == 401
    blocked = await login(client, "victim@example.com", "right password")
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 900
    assert "try again" in blocked.json()["detail"]
    # Another email from the same address is not blocked yet.
    assert (await login(client, "other@example.com", "wrong password")).status_code == 401


async def test_too_many_failures_from_one_address(
    throttled_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = throttled_client
    for n in range(6):
        assert (await login(client, f"user{n}@example.com", "wrong password")).status_code == 401
    blocked = await login(client, "fresh@example.com", "wrong password")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


async def test_success_clears_the_email_count(
    throttled_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = throttled_client
    await client.post(
        "/api/v1/auth/signup", json={"email": "typo@example.com", "password": "right password"}
    )
    for _ in range(2):
        await login(client, "typo@example.com", "wrong password")
    assert (await login(client, "typo@example.com", "right password")).status_code == 200
    for _ in range(2):
        assert (await login(client, "typo@example.com", "wrong password")).status_code == 401
    assert (await login(client, "typo@example.com", "right password")).status_code == 200


async def test_redis_counts_are_shared_between_workers(settings: Settings, redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex}:"
    shared = settings.model_copy(update={"redis_url": redis_url, "login_max_failures": 2})
    async with AsyncExitStack() as stack:
        clients = []
        for worker in (create_app(shared), create_app(shared)):
            await stack.enter_async_context(worker.router.lifespan_context(worker))
            worker.state.login_throttle.counter.prefix = prefix
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=worker), base_url="http://t"
            )
            clients.append(await stack.enter_async_context(client))
        assert (await login(clients[0], "x@example.com", "wrong password")).status_code == 401
        assert (await login(clients[1], "x@example.com", "wrong password")).status_code == 401
        assert (await login(clients[0], "x@example.com", "wrong password")).status_code == 429
        redis = aioredis.from_url(redis_url)
        keys = [key async for key in redis.scan_iter(match=f"*{prefix}*")]
        assert keys
        await redis.delete(*keys)
        await redis.aclose()


async def test_logins_go_on_when_redis_is_down(
    settings: Settings, make_account: MakeAccount, caplog: pytest.LogCaptureFixture
) -> None:
    await make_account("steady@example.com", "right password")
    # Nothing listens on port 9: every Redis call fails at once.
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            signup = await client.post(
                "/api/v1/auth/signup", json={"email": "new@example.com", "password": "password!"}
            )
            assert signup.status_code == 201
            assert (await login(client, "steady@example.com", "wrong password")).status_code == 401
            assert (await login(client, "steady@example.com", "right password")).status_code == 200
            ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["detail"].startswith("redis unreachable")
    assert "Login throttle unavailable" in caplog.text


async def test_simultaneous_guesses_cannot_outrun_the_limit(
    throttled_client: tuple[FastAPI, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 wrong passwords at once: only the limit's worth reach the password check."""
    _app, client = throttled_client
    await client.post(
        "/api/v1/auth/signup", json={"email": "target@example.com", "password": "right password"}
    )
    checked = 0
    original = Passwords.verify

    def counting(self: Passwords, password: str, hashed: str | None) -> tuple[bool, str | None]:
        nonlocal checked
        checked += 1
        time.sleep(0.01)  # a real check takes a while: let the others pile up meanwhile
        return original(self, password, hashed)

    monkeypatch.setattr(Passwords, "verify", counting)
    answers = await asyncio.gather(
        *(login(client, "target@example.com", f"guess {n}") for n in range(30))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert checked <= 3  # LOGIN_MAX_FAILURES in this fixture
    assert statuses.count(401) == checked
    assert statuses.count(429) == 30 - checked
    # Even the right password waits out the window now.
    assert (await login(client, "target@example.com", "right password")).status_code == 429


async def test_signups_per_address_are_throttled(
    throttled_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = throttled_client
    statuses = []
    for n in range(3):
        response = await client.post(
            "/api/v1/auth/signup", json={"email": f"s{n}@example.com", "password": "password!"}
        )
        statuses.append(response.status_code)
    # A taken email counts too: probing which emails have accounts is what this limits.
    assert statuses == [201, 201, 201]
    blocked = await client.post(
        "/api/v1/auth/signup", json={"email": "s0@example.com", "password": "password!"}
    )
    assert blocked.status_code == 429
    assert blocked.json()["detail"].startswith("Too many signups; try again in ")
    assert 3000 < int(blocked.headers["retry-after"]) <= 3600


async def test_the_window_does_not_depend_on_host_uptime(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host up for less than the window once let the window end early (it started at 0)."""
    app = create_app(settings.model_copy(update={"login_max_failures": 2}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            monkeypatch.setattr(time, "monotonic", lambda: 899.0)
            for _ in range(2):
                assert (await login(client, "new@example.com", "wrong pass")).status_code == 401
            monkeypatch.setattr(time, "monotonic", lambda: 901.0)
            blocked = await login(client, "new@example.com", "wrong pass")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 890


async def test_in_process_counts_stay_bounded() -> None:
    counter = MemoryAttempts(max_keys=10)
    limit = Limit(1, 900)
    for n in range(25):
        assert await counter.reserve(limit, f"client:{n}") == 0
    assert len(counter._counts) <= 10
    # The newest keys keep their counts: the latest sprayer is still blocked.
    assert await counter.reserve(limit, "client:24") > 0
    await counter.give_back(limit, "client:24")
    await counter.give_back(limit, "client:24")
    assert await counter.reserve(limit, "client:24") == 0
