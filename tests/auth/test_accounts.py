"""Signup, login and the current user."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from recipe_api.auth.schemas import MAX_PASSWORD_LENGTH
from recipe_api.auth.security import Passwords
from recipe_api.db.engine import Database
from recipe_api.seed import seed
from recipe_api.settings import Settings
from recipe_api.users.repository import get_user_by_email
from tests.conftest import MakeAccount, login
from tests.email.smtp import outbox_rows

SIGNUP = "/api/v1/auth/signup"


async def _users(app: FastAPI, email: str) -> int:
    row = await app.state.db.run(get_user_by_email, email)
    return 0 if row is None else 1


async def test_signup_login_me(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGNUP,
        json={
            "email": "Cook@Example.com",
            "password": "long enough password",
            "first_name": "Ada",
            "surname": "Cook",
        },
    )
    assert response.status_code == 201
    user = response.json()
    assert user["email"] == "Cook@example.com"  # the part before the @ as typed
    assert user["first_name"] == "Ada"
    assert user["is_superuser"] is False
    assert not {"password", "hashed_password"} & user.keys()

    token = await login(client, "COOK@example.com", "long enough password")
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json() == user


async def test_duplicate_email_in_another_case_is_409(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    await make_account("taken@example.com")
    response = await client.post(
        SIGNUP, json={"email": "TAKEN@Example.COM", "password": "another password"}
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "new@example.com", "password": "short"},
        {"email": "new@example.com", "password": "x" * 257},
        {"email": "new@example.com", "password": "nul\x00password"},
        {"email": "not-an-email", "password": "long enough password"},
        {"email": "new@example.com"},
        {"password": "long enough password"},
        {"email": "new@example.com", "password": "long enough password", "is_superuser": True},
        {"email": "new@example.com", "password": "long enough password", "first_name": "x" * 300},
    ],
)
async def test_bad_signup_is_422_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post(SIGNUP, json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert await _users(app, "new@example.com") == 0


async def test_wrong_password_and_unknown_email_answer_alike(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_account("real@example.com")
    verified: list[str | None] = []
    original = Passwords.verify

    def spy(self: Passwords, password: str, hashed: str | None) -> tuple[bool, str | None]:
        verified.append(hashed)
        return original(self, password, hashed)

    monkeypatch.setattr(Passwords, "verify", spy)
    wrong = await login(client, "real@example.com", "wrong password!")
    unknown = await login(client, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Incorrect email or password"}
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    # Both paths spent an Argon2 verification: the unknown email against a dummy hash.
    assert len(verified) == 2
    assert verified[0] is not None and verified[1] is None


@pytest.mark.parametrize(
    "form",
    [
        {"username": "x" * 5000, "password": "whatever password"},
        {"username": "nul\x00@example.com", "password": "whatever password"},
        {"username": "real@example.com", "password": "p" * 100_000},
    ],
)
async def test_odd_login_input_is_401_not_500(
    client: httpx.AsyncClient, make_account: MakeAccount, form: dict[str, str]
) -> None:
    await make_account("real@example.com")
    response = await client.post("/api/v1/auth/login", data=form)
    assert response.status_code == 401


async def test_login_needs_a_form(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "a@b.co", "password": "x" * 10}
    )
    assert response.status_code == 422


async def test_old_hash_is_upgraded_on_login(
    app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account("upgrade@example.com")
    before = (await app.state.db.run(get_user_by_email, account.email))["hashed_password"]
    assert "t=1" in before
    app.state.passwords = Passwords(time_cost=2, memory_kib=2048, parallelism=1)
    assert (await login(client, account.email, account.password)).status_code == 200
    after = (await app.state.db.run(get_user_by_email, account.email))["hashed_password"]
    assert after != before
    assert "m=2048,t=2" in after
    assert (await login(client, account.email, account.password)).status_code == 200


async def test_swagger_authorize_flow_is_declared(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/login"
    assert spec["paths"]["/api/v1/recipes/"]["post"]["security"]


@pytest.mark.parametrize(
    ("look_alike", "reason"),
    [
        ("\uff43\uff4f\uff4f\uff4b@example.com", "stand for others"),  # fullwidth c, o, o, k
        ("\ufb01sh@example.com", "stand for others"),  # the "fi" ligature
        ("\u212aelvin@example.com", "stand for others"),  # the Kelvin sign, not K
        ("p\u0430ypal@example.com", "mixes letters"),  # a Cyrillic a among Latin letters
    ],
)
async def test_a_look_alike_address_is_refused_not_rewritten(
    client: httpx.AsyncClient, make_account: MakeAccount, look_alike: str, reason: str
) -> None:
    # NFKC and case folding made each of these another cook's address (fullwidth
    # "cook" was cook@, "\ufb01sh" was fish@): the account and its emails went there.
    for taken in ("cook@example.com", "fish@example.com", "kelvin@example.com"):
        await make_account(taken)
    response = await client.post(
        SIGNUP, json={"email": f"  {look_alike} ", "password": "another password"}
    )
    assert response.status_code == 422
    assert reason in str(response.json()["detail"])
    # Nor does it log in to the account it looks like.
    assert (await login(client, look_alike, "long enough password")).status_code == 401


async def test_an_address_is_kept_as_typed_and_found_whatever_its_ascii_case(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(
        SIGNUP, json={"email": "STRASSE@Example.COM", "password": "long enough password"}
    )
    assert response.json()["email"] == "STRASSE@example.com"
    again = await client.post(
        SIGNUP, json={"email": "strasse@EXAMPLE.com", "password": "long enough password"}
    )
    assert again.status_code == 409
    # Another mailbox: kept apart, and its welcome email goes to it, not to strasse@.
    sharp = await client.post(
        SIGNUP, json={"email": "Stra\u00dfe@example.com", "password": "other long password"}
    )
    assert sharp.status_code == 201
    assert sharp.json()["email"] == "Stra\u00dfe@example.com"
    assert sharp.json()["id"] != response.json()["id"]
    recipients = sorted(row["recipient"] for row in outbox_rows(db))
    assert recipients == ["STRASSE@example.com", "Stra\u00dfe@example.com"]
    # ASCII case is one mailbox; other letters compare exactly.
    for typed, password, user_id in (
        ("strasse@example.com", "long enough password", response.json()["id"]),
        ("stra\u00dfe@Example.com", "other long password", sharp.json()["id"]),
        ("STRA\u00dfE@example.com", "other long password", sharp.json()["id"]),
    ):
        token = await login(client, typed, password)
        assert token.status_code == 200, typed
        me = await client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert me.json()["id"] == user_id
    # An internationalised domain takes its one form; the part before the @ stays.
    idn = await client.post(
        SIGNUP, json={"email": "Koch@B\u00fccher.DE", "password": "long enough password"}
    )
    assert idn.json()["email"] == "Koch@b\u00fccher.de"


async def test_over_long_password_is_a_failed_login_without_hashing(
    client: httpx.AsyncClient, make_account: MakeAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Login refuses what signup would refuse: no account has a password this long.

    Before, login cut the password to 256 characters, so a 256-character
    password also accepted itself plus any suffix.
    """
    password = "p" * MAX_PASSWORD_LENGTH
    account = await make_account("long@example.com", password)
    verified: list[str] = []
    original = Passwords.verify

    def spy(self: Passwords, given: str, hashed: str | None) -> tuple[bool, str | None]:
        verified.append(given)
        return original(self, given, hashed)

    monkeypatch.setattr(Passwords, "verify", spy)
    response = await login(client, account.email, password + "suffix")
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password"}
    assert verified == []
    assert (await login(client, account.email, password)).status_code == 200


async def test_signup_is_one_unit_of_work(app: FastAPI, client: httpx.AsyncClient) -> None:
    calls: list[str] = []
    original = app.state.db.run

    async def counting(fn: object, *args: object, **kwargs: object) -> object:
        calls.append(getattr(fn, "__name__", "?"))
        return await original(fn, *args, **kwargs)

    app.state.db.run = counting
    try:
        response = await client.post(
            SIGNUP, json={"email": "one@example.com", "password": "long enough password"}
        )
    finally:
        del app.state.db.run
    assert response.status_code == 201
    assert calls == ["create"]


async def test_seed_finds_the_superuser_whatever_its_ascii_case(app: FastAPI) -> None:
    first = await app.state.db.run(
        seed, superuser_email=" Admin@RecipeAPI.com", hashed_password=None
    )
    again = await app.state.db.run(
        seed, superuser_email="ADMIN@recipeapi.com", hashed_password=None
    )
    assert first.superuser_created and not again.superuser_created
    found = await app.state.db.run(get_user_by_email, "admin@recipeapi.com")
    assert found is not None and found["email"] == "Admin@recipeapi.com"
    look_alike = "\uff41dmin@recipeapi.com"  # a fullwidth "a"
    with pytest.raises(ValidationError, match="stand for others"):
        Settings(_env_file=None, first_superuser_email=look_alike)
