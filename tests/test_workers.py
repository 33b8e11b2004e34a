"""Several stateless workers behind PostgreSQL and Redis act as one service."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.conftest import free_port


def test_two_workers_share_tokens_data_and_throttling(
    postgresql_url: str, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": postgresql_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "LOGIN_MAX_FAILURES": "4",
        # The address count lives in Redis across runs; only the email count is under test.
        "LOGIN_MAX_FAILURES_PER_CLIENT": "100000",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the workers did not become ready"
            time.sleep(0.2)

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
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
