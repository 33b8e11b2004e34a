"""`recipe-api users set-password` is a password change like the others: it ends everything open."""

from __future__ import annotations

from datetime import timedelta

import httpx

from recipe_api.auth import service as auth_service
from recipe_api.auth import sessions
from recipe_api.db.engine import Database
from tests.conftest import MakeAccount, login


async def test_an_operator_set_password_ends_sessions_and_older_tokens(
    client: httpx.AsyncClient, make_account: MakeAccount, db: Database, app: object
) -> None:
    account = await make_account("lost@example.com")
    web_session = await sessions.open_session(db, account.id, timedelta(days=1))
    hashed = app.state.passwords.hash("set by the operator")  # type: ignore[attr-defined]
    assert db.run_sync(auth_service.set_password, "lost@example.com", hashed)
    assert (await client.get("/api/v1/auth/me", headers=account.headers)).status_code == 401
    assert await sessions.session_user(db, web_session) is None
    assert (await login(client, account.email, "set by the operator")).status_code == 200
    assert not db.run_sync(auth_service.set_password, "nobody@example.com", hashed)
