"""At most ``concurrency`` Argon2 runs at once per worker; past the wait, 503 with Retry-After."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from fastapi import FastAPI

from recipe_api.auth.security import Passwords

SIGNUP = "/api/v1/auth/signup"


class _SlowHashes(Passwords):
    """Cheap Argon2 that takes ``seconds`` and records how many ran at once."""

    def __init__(self, seconds: float, **kwargs: object) -> None:
        super().__init__(time_cost=1, memory_kib=1024, parallelism=1, **kwargs)  # type: ignore[arg-type]
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)
            return super().hash(password)
        finally:
            with self._lock:
                self.running -= 1


async def _signups(client: httpx.AsyncClient, count: int) -> list[httpx.Response]:
    return await asyncio.gather(
        *(
            client.post(SIGNUP, json={"email": f"u{n}@example.com", "password": "password!"})
            for n in range(count)
        )
    )


async def test_hashes_wait_their_turn(app: FastAPI, client: httpx.AsyncClient) -> None:
    passwords = _SlowHashes(0.05, concurrency=2, wait_seconds=10)
    app.state.passwords = passwords
    answers = await _signups(client, 8)
    assert [answer.status_code for answer in answers] == [201] * 8
    assert passwords.most == 2


async def test_past_the_wait_is_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.state.passwords = _SlowHashes(0.5, concurrency=1, wait_seconds=0.2)
    answers = await _signups(client, 3)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 503, 503]
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"detail": "Too many password checks at once; try again shortly"}


def test_default_concurrency_is_the_core_count() -> None:
    import os

    assert Passwords(time_cost=1, memory_kib=1024, parallelism=1).concurrency == os.cpu_count()


async def test_a_busy_login_is_not_counted_as_a_failure(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.post(SIGNUP, json={"email": "owner@example.com", "password": "password!"})
    app.state.passwords = _SlowHashes(1.5, concurrency=1, wait_seconds=0.05)
    form = {"username": "owner@example.com", "password": "password!"}
    # Hold the only slot with a signup, so each login waits past its deadline.
    holder = asyncio.create_task(
        client.post(SIGNUP, json={"email": "holder@example.com", "password": "password!"})
    )
    await asyncio.sleep(0.05)
    busy = [await client.post("/api/v1/auth/login", data=form) for _ in range(6)]
    await holder
    assert {answer.status_code for answer in busy} == {503}
    # Six 503s later the owner is not locked out (LOGIN_MAX_FAILURES is 5).
    assert (await client.post("/api/v1/auth/login", data=form)).status_code == 200
