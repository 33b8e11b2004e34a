"""Signup, verification and password reset end to end: the API, the outbox, a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from recipe_api.auth import sessions
from recipe_api.auth.models import account_token_table
from recipe_api.db.engine import Database
from tests.conftest import MakeAccount, login
from tests.email.smtp import Mailbox, eventually, html_of, link_in, outbox_rows, text_of, token_in

PASSWORD = "long enough password"
NEW_PASSWORD = "a brand new password"


async def _signup(client: httpx.AsyncClient, email: str, first_name: str = "Ada") -> int:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": email, "password": PASSWORD, "first_name": first_name},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _bearer(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_signup_emails_a_link_that_verifies_once(
    mailbox: Mailbox, client: httpx.AsyncClient, db: Database
) -> None:
    await _signup(client, "ada@example.com", first_name="<Ada>")
    (message,) = await eventually(lambda: mailbox.to("ada@example.com"))
    assert message["Subject"] == "Welcome to Recipe Box: confirm your email"
    assert message["Message-ID"].startswith("<")
    link = link_in(message)
    assert link.startswith("http://testserver/verify-email?token=")
    # Both parts carry the link; the HTML part escapes what the user typed.
    assert link in html_of(message) and "&lt;Ada&gt;" in html_of(message)
    assert "Hello <Ada>" in text_of(message)
    # Sent: the row keeps no body, so the live token is not left in the database.
    # (Marked just after the SMTP server took the message: wait for it.)
    (row,) = await eventually(lambda: [r for r in outbox_rows(db) if r["status"] == "sent"])
    assert (row["status"], row["text_body"], row["attempts"]) == ("sent", "", 1)

    headers = await _bearer(client, "ada@example.com", PASSWORD)  # unverified may log in
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["email_verified"] is False
    verified = await client.post("/api/v1/auth/verify", json={"token": token_in(message)})
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["email_verified"] is True
    again = await client.post("/api/v1/auth/verify", json={"token": token_in(message)})
    assert again.status_code == 400
    assert again.json() == {"detail": "This link is invalid or has expired"}


async def test_made_up_and_expired_verification_tokens_are_refused(
    mailbox: Mailbox, client: httpx.AsyncClient, db: Database
) -> None:
    await _signup(client, "late@example.com")
    (message,) = await eventually(lambda: mailbox.to("late@example.com"))
    for token in ("x" * 43, "", "é" * 10, "y" * 65):
        response = await client.post("/api/v1/auth/verify", json={"token": token})
        assert response.status_code in (400, 422), (token, response.text)
    _expire_tokens(db)
    response = await client.post("/api/v1/auth/verify", json={"token": token_in(message)})
    assert response.status_code == 400


def _expire_tokens(db: Database) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.run_sync(lambda c: c.execute(update(account_token_table).values(expires_at=past)))


async def test_reset_answers_alike_for_known_and_unknown_emails(
    mailbox: Mailbox, client: httpx.AsyncClient, db: Database
) -> None:
    await _signup(client, "known@example.com")
    await eventually(lambda: mailbox.to("known@example.com"))
    known = await client.post("/api/v1/auth/password-reset", json={"email": "KNOWN@example.com"})
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    # The requests did the same work: one outbox row each, composed by the sender later.
    await eventually(lambda: all(r["status"] != "pending" for r in outbox_rows(db)))
    rows = [r for r in outbox_rows(db) if r["kind"] == "password_reset"]
    assert {(r["recipient"], r["status"]) for r in rows} == {
        ("known@example.com", "sent"),
        ("nobody@example.com", "dropped"),
    }
    (reset,) = [m for m in mailbox.to("known@example.com") if "Reset" in m["Subject"]]
    assert link_in(reset).startswith("http://testserver/reset-password?token=")
    assert "30 minutes" in text_of(reset)
    assert mailbox.to("nobody@example.com") == []


async def test_reset_sets_the_password_once_and_ends_every_session(
    mailbox: Mailbox, client: httpx.AsyncClient, app: FastAPI, db: Database
) -> None:
    user_id = await _signup(client, "cook@example.com")
    old_token = await _bearer(client, "cook@example.com", PASSWORD)
    web_session = await sessions.open_session(db, user_id, timedelta(days=1))
    assert await client.post("/api/v1/auth/password-reset", json={"email": "cook@example.com"})
    reset = await eventually(
        lambda: [m for m in mailbox.to("cook@example.com") if "Reset" in m["Subject"]]
    )
    token = token_in(reset[0])
    # The table holds only the token's hash.
    stored = db.run_sync(lambda c: list(c.execute(select(account_token_table.c.id)).scalars()))
    assert token not in stored and len(stored) == 2

    confirm = {"token": token, "new_password": NEW_PASSWORD}
    done = await client.post("/api/v1/auth/password-reset/confirm", json=confirm)
    assert done.status_code == 200, done.text
    assert (await login(client, "cook@example.com", PASSWORD)).status_code == 401
    assert (await login(client, "cook@example.com", NEW_PASSWORD)).status_code == 200
    # The access token issued before the change and the website session are over.
    assert (await client.get("/api/v1/auth/me", headers=old_token)).status_code == 401
    assert await sessions.session_user(db, web_session) is None
    # Used once; and following the emailed link proved the address.
    again = await client.post("/api/v1/auth/password-reset/confirm", json=confirm)
    assert again.status_code == 400
    me = await client.get(
        "/api/v1/auth/me", headers=await _bearer(client, "cook@example.com", NEW_PASSWORD)
    )
    assert me.json()["email_verified"] is True


async def test_expired_reset_token_and_one_outlived_by_a_password_change_are_refused(
    mailbox: Mailbox, client: httpx.AsyncClient, db: Database
) -> None:
    await _signup(client, "pat@example.com")
    for _ in range(2):
        await client.post("/api/v1/auth/password-reset", json={"email": "pat@example.com"})
    resets = await eventually(
        lambda: (
            (r := [m for m in mailbox.to("pat@example.com") if "Reset" in m["Subject"]])
            and len(r) == 2
            and r
        )
    )
    first, second = token_in(resets[0]), token_in(resets[1])
    headers = await _bearer(client, "pat@example.com", PASSWORD)
    changed = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    confirm = {"token": first, "new_password": "yet another password"}
    assert (
        await client.post("/api/v1/auth/password-reset/confirm", json=confirm)
    ).status_code == 400

    await client.post("/api/v1/auth/password-reset", json={"email": "pat@example.com"})
    third = await eventually(
        lambda: (
            (r := [m for m in mailbox.to("pat@example.com") if "Reset" in m["Subject"]])
            and len(r) == 3
            and r[2]
        )
    )
    assert second != token_in(third)
    _expire_tokens(db)
    confirm = {"token": token_in(third), "new_password": "yet another password"}
    assert (
        await client.post("/api/v1/auth/password-reset/confirm", json=confirm)
    ).status_code == 400
    assert (await login(client, "pat@example.com", NEW_PASSWORD)).status_code == 200


async def test_reset_requests_are_throttled_per_email(
    mailbox: Mailbox, client: httpx.AsyncClient
) -> None:
    answers = [
        (
            await client.post("/api/v1/auth/password-reset", json={"email": "x@example.com"})
        ).status_code
        for _ in range(4)
    ]
    assert answers == [202, 202, 202, 429]
    other = await client.post("/api/v1/auth/password-reset", json={"email": "y@example.com"})
    assert other.status_code == 202


async def test_change_password_needs_the_current_one_and_ends_other_sessions(
    mailbox: Mailbox, client: httpx.AsyncClient, make_account: MakeAccount, db: Database
) -> None:
    account = await make_account("chef@example.com")
    other_session = await sessions.open_session(db, account.id, timedelta(days=1))
    wrong = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert (wrong.status_code, wrong.json()) == (400, {"detail": "The current password is wrong"})
    short = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": account.password, "new_password": "short"},
        headers=account.headers,
    )
    assert short.status_code == 422
    changed = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": account.password, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert changed.status_code == 200
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=fresh)).status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=account.headers)).status_code == 401
    assert await sessions.session_user(db, other_session) is None
    assert (await login(client, account.email, NEW_PASSWORD)).status_code == 200
