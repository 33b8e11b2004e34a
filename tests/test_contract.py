"""The OpenAPI document is the contract: schemathesis, every check, against the real server.

``recipe-api serve`` runs on a free port on each backend with a reddit
emulator behind the ideas endpoints, and schemathesis runs logged in as the
seeded superuser (a bearer token for the secured operations) with a fixed
seed and a bounded number of examples. Any finding fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, serving

HERE = Path(__file__).parent
SEED = 12
EXAMPLES_PER_OPERATION = int(os.environ.get("CONTRACT_EXAMPLES", "10"))
ADMIN_PASSWORD = "schemathesis admin password"


@pytest.fixture
def fake_reddit(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recipe_api.cli", "fake-reddit", "--port", str(port), "--latency=0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_the_api_is_what_its_openapi_says(
    database_url: str, fake_reddit: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "contract-test-key-" + "k" * 32,
        "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
        "REDDIT_BASE_URL": fake_reddit,
        "REDDIT_OAUTH_URL": fake_reddit,
        "IDEAS_CACHE_TTL": "0",
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    with serving(["--no-access-log"], env, tmp_path) as server:
        login = httpx.post(
            f"{server.url}/api/v1/auth/login",
            data={"username": "admin@recipeapi.com", "password": ADMIN_PASSWORD},
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        started = time.monotonic()
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--header",
                f"Authorization: Bearer {token}",
                "--seed",
                str(SEED),
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--request-timeout",
                "10",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            # Only a guard against a hang: a loaded machine (the suite in parallel) may take
            # several times the 53 s it takes alone.
            timeout=900,
            cwd=tmp_path,
            env={**env, "SCHEMATHESIS_TELEMETRY": "false"},
        )
        elapsed = time.monotonic() - started
    summary = run.stdout[-6000:]
    print(f"schemathesis took {elapsed:.1f} s\n{summary}")
    assert run.returncode == 0, f"schemathesis found problems:\n{run.stdout[-20000:]}"
    assert "Tested: " in run.stdout
