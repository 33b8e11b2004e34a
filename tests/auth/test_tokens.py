"""Every token that is not a valid, current token for an existing user gets a 401 Bearer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from recipe_api.users.repository import delete_user
from tests.conftest import MakeAccount

ME = "/api/v1/auth/me"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _assert_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]
    # Writes are refused the same way.
    post = await client.post(
        "/api/v1/recipes/",
        json={"label": "x", "url": "https://e.com"},
        headers=headers,
    )
    assert post.status_code == 401
    assert post.headers["www-authenticate"] == "Bearer"


async def test_missing_token(client: httpx.AsyncClient) -> None:
    await _assert_401(client, {})


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Bearer not-a-jwt", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "token"],
)
async def test_malformed(client: httpx.AsyncClient, authorization: str) -> None:
    await _assert_401(client, {"Authorization": authorization})


async def test_expired(app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account("a@example.com")
    past = datetime.now(UTC) - timedelta(minutes=5)
    token = jwt.encode(
        {"sub": str(account.id), "exp": past}, app.state.tokens.secret_key, algorithm="HS256"
    )
    await _assert_401(client, {"Authorization": f"Bearer {token}"})


async def test_wrong_signature(client: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account("a@example.com")
    exp = datetime.now(UTC) + timedelta(minutes=5)
    token = jwt.encode({"sub": str(account.id), "exp": exp}, "another-key" * 4, algorithm="HS256")
    await _assert_401(client, {"Authorization": f"Bearer {token}"})


async def test_alg_none(client: httpx.AsyncClient, make_account: MakeAccount) -> None:
    account = await make_account("a@example.com")
    exp = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': str(account.id), 'exp': exp})}."
    await _assert_401(client, {"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"sub": None},
        {"sub": "abc"},
        {"sub": 1},
        {"sub": "-1"},
        {"sub": "0"},
        {"sub": "01"},
        {"sub": " 1"},
        {"sub": "1e3"},
        {"sub": "99999999999999"},
        # Past a PostgreSQL integer: the lookup itself would fail there.
        {"sub": "2147483648"},
        {"sub": "9999999999"},
        # Digits to str.isdigit, but not to int() or not ASCII.
        {"sub": "\u00b2"},
        {"sub": "\u0661\u0662"},
        {"sub": "1\x00"},
        {"sub": ["1"]},
    ],
)
async def test_bad_or_missing_subject(
    app: FastAPI, client: httpx.AsyncClient, claims: dict[str, object]
) -> None:
    exp = datetime.now(UTC) + timedelta(minutes=5)
    token = jwt.encode({**claims, "exp": exp}, app.state.tokens.secret_key, algorithm="HS256")
    await _assert_401(client, {"Authorization": f"Bearer {token}"})


async def test_missing_exp(
    app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account("a@example.com")
    token = jwt.encode({"sub": str(account.id)}, app.state.tokens.secret_key, algorithm="HS256")
    await _assert_401(client, {"Authorization": f"Bearer {token}"})


async def test_deleted_user(
    app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account("gone@example.com")
    assert (await client.get(ME, headers=account.headers)).status_code == 200
    assert await app.state.db.run(delete_user, account.id)
    await _assert_401(client, account.headers)
