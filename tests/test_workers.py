"""Several stateless workers behind PostgreSQL and Redis act as one service."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx

from tests.conftest import serving


def test_two_workers_share_tokens_data_and_throttling(
    postgresql_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": postgresql_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "LOGIN_MAX_FAILURES": "4",
        # The address count lives in Redis across runs; only the email count is under test.
        "LOGIN_MAX_FAILURES_PER_CLIENT": "100000",
        "SIGNUP_MAX_PER_CLIENT": "100000",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "LOG_LEVEL": "WARNING",
    }
    with serving(["--workers", "2", "--no-migrate"], env, tmp_path) as server:
        base = server.url
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        # New connections each time, so the kernel spreads them over both workers.
        signup = httpx.post(
            f"{base}/api/v1/auth/signup", json={"email": email, "password": "worker password"}
        )
        assert signup.status_code == 201
        token = httpx.post(
            f"{base}/api/v1/auth/login", data={"username": email, "password": "worker password"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = []
        for n in range(20):
            me = httpx.get(f"{base}/api/v1/auth/me", headers=headers)
            assert me.status_code == 200
            recipe = httpx.post(
                f"{base}/api/v1/recipes/",
                json={"label": f"Worker dish {n}", "url": "https://example.com/w"},
                headers=headers,
            )
            assert recipe.status_code == 201
            created.append(recipe.json()["id"])
        for recipe_id in created:
            assert httpx.get(f"{base}/api/v1/recipes/{recipe_id}").status_code == 200

        statuses = [
            httpx.post(
                f"{base}/api/v1/auth/login", data={"username": email, "password": "wrong one!"}
            ).status_code
            for _ in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]
