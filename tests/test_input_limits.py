"""Bounded input: bodies over MAX_BODY_BYTES are 413 before they are read; 422s echo little."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import LiveServer, serving

LIMIT = 4096
SIGNUP = "/api/v1/auth/signup"


@pytest.fixture
async def small_limit(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings.model_copy(update={"max_body_bytes": LIMIT}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.json() == {"detail": f"Request body larger than {LIMIT} bytes"}
    assert response.headers["connection"] == "close"
    assert "x-process-time" in response.headers


async def test_declared_length_over_the_limit(
    small_limit: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = small_limit
    body = {"email": "big@example.com", "password": "p" * LIMIT}
    _assert_413(await client.post(SIGNUP, json=body))


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
async def test_chunked_body_over_the_limit(
    small_limit: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = small_limit
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"email": "big@example.com", "password": "'
        for _ in range(1000):
            sent += 1
            yield b"p" * 1024
        yield b'"}'

    response = await client.post(
        SIGNUP, content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_413(response)
    # Cut off at the limit, not read to the end.
    assert sent < 10


async def test_bodies_within_the_limit_and_gets_pass(
    small_limit: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, client = small_limit

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "small@example.com", '
        yield b'"password": "long enough password"}'

    created = await client.post(
        SIGNUP, content=chunks(), headers={"content-type": "application/json"}
    )
    assert created.status_code == 201
    assert (await client.get("/api/v1/recipes/")).status_code == 200


def _raw_request(server: LiveServer, head: bytes, body_chunks: int, chunk: bytes) -> bytes:
    """Sends ``head`` and up to ``body_chunks`` chunks; returns what the server answered."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.05)
        answer = b""
        for _ in range(body_chunks):
            try:
                sock.sendall(chunk)
            except OSError:
                break  # the server closed the connection after answering
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            if answer:
                break
        sock.settimeout(10)
        # The 413 says "connection: close": read until the server closes.
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass  # closed with our unread body still in its buffer: a reset
        return answer


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
def test_over_the_wire(live_server: LiveServer) -> None:
    """The real server answers 413 at once, for a declared and a chunked 50 MB body."""
    started = time.monotonic()
    declared = _raw_request(
        live_server,
        b"POST /api/v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n",
        body_chunks=0,
        chunk=b"",
    )
    assert declared.startswith(b"HTTP/1.1 413 ")
    assert b"Request body larger than 1048576 bytes" in declared
    chunk = b"10000\r\n" + b"p" * 0x10000 + b"\r\n"
    chunked = _raw_request(
        live_server,
        b"POST /api/v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        body_chunks=800,  # 50 MB if the server read it all
        chunk=chunk,
    )
    assert chunked.startswith(b"HTTP/1.1 413 ")
    assert time.monotonic() - started < 10
    assert httpx.get(f"{live_server.url}/health/live", timeout=2).status_code == 200


async def test_422_echoes_only_an_excerpt(client: httpx.AsyncClient) -> None:
    response = await client.post(SIGNUP, json={"email": "x" * 100_000, "password": "p" * 20})
    assert response.status_code == 422
    assert len(response.content) < 1000
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    assert error["type"] == "string_too_long"
    assert error["input"].startswith("xxx") and len(error["input"]) <= 70


@pytest.mark.parametrize(
    "body",
    [
        {"email": "new@example.com", "password": "hunter2"},  # too short
        {"email": "new@example.com", "password": "hunter2" * 50},  # too long
        {"email": "not an email", "password": "hunter2hunter2"},  # the whole body is no input
        {"password": "hunter2hunter2"},  # "missing" reports the whole body as its input
        {"email": "new@example.com", "password": ["hunter2hunter2"]},
    ],
)
async def test_422_never_echoes_a_password(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post(SIGNUP, json=body)
    assert response.status_code == 422
    assert "hunter2" not in response.text
    for error in response.json()["detail"]:
        assert {"loc", "msg", "type"} <= error.keys()


async def test_422_with_unencodable_input_is_still_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGNUP,
        content=b'{"email": "a@example.com", "password": "long enough", "first_name": 1e309}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "first_name"]
    assert error["input"] == "inf"
    surrogate = await client.post(
        SIGNUP,
        content=b'{"email": "a@example.com", "password": "long enough", "surname": "x\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert surrogate.status_code == 422
    assert surrogate.json()["detail"][0]["input"] == "x\\ud800"


def test_h11_bounds_the_request_head(tmp_path: Path) -> None:
    """``serve --http h11 --max-header-bytes N``: a larger head is refused, the server stays up."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h11.db'}",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    env.pop("REDIS_URL", None)
    with serving(["--http", "h11", "--max-header-bytes", "8192"], env, tmp_path) as server:
        answer = _raw_request(
            server,
            b"GET /health/live HTTP/1.1\r\nHost: x\r\n",
            body_chunks=64,
            chunk=b"X-Pad: " + b"a" * 1024 + b"\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 400 ")
        ok = httpx.get(f"{server.url}/health/live", headers={"X-Pad": "a" * 4000}, timeout=5)
        assert ok.status_code == 200
