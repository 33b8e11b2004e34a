"""Several stateless workers behind PostgreSQL and Redis act as one service.

Which worker answered is asked of the operating system, not of the server:
each request goes over a connection of its own, and while it is open the test
looks up which of the server's child processes holds the other end. Nothing
in the answers says which process served them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from tests.conftest import serving


def _worker_holding(server_pid: int, client_port: int) -> int:
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            connections = child.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        if any(c.raddr and c.raddr.port == client_port for c in connections):
            return child.pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


class Workers:
    """Sends each request on a fresh connection and notes the worker that answered."""

    def __init__(self, base: str, server_pid: int) -> None:
        self.base = base
        self.server_pid = server_pid
        self.answered: list[int] = []

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        with httpx.Client(base_url=self.base, timeout=10) as http:
            response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
            stream = response.extensions["network_stream"]
            _host, port = stream.get_extra_info("client_addr")
            self.answered.append(_worker_holding(self.server_pid, port))
        return response


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
        workers = Workers(server.url, server.process.pid)
        send: Callable[..., httpx.Response] = workers.request
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        signup = send(
            "POST", "/api/v1/auth/signup", json={"email": email, "password": "worker password"}
        )
        assert signup.status_code == 201
        token = send(
            "POST",
            "/api/v1/auth/login",
            data={"username": email, "password": "worker password"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = []
        for n in range(20):
            assert send("GET", "/api/v1/auth/me", headers=headers).status_code == 200
            recipe = send(
                "POST",
                "/api/v1/recipes/",
                json={"label": f"Worker dish {n}", "url": "https://example.com/w"},
                headers=headers,
            )
            assert recipe.status_code == 201
            created.append(recipe.json()["id"])
        for recipe_id in created:
            assert send("GET", f"/api/v1/recipes/{recipe_id}").status_code == 200
        shared_work = list(workers.answered)

        # Failed logins counted by different workers still add up to the limit.
        # Which worker accepts a connection is the kernel's choice: repeat with
        # a fresh email until one round has been answered by both.
        spanning_rounds = 0
        for _ in range(6):
            workers.answered.clear()
            target = f"{uuid.uuid4().hex[:8]}@example.com"
            statuses = [
                send(
                    "POST",
                    "/api/v1/auth/login",
                    data={"username": target, "password": "wrong one!"},
                ).status_code
                for _ in range(5)
            ]
            assert statuses == [401, 401, 401, 401, 429]
            if len(set(workers.answered)) == 2:
                spanning_rounds += 1
                break
        # uvicorn's children: the workers, and multiprocessing's resource tracker.
        port = int(server.url.rsplit(":", 1)[1])
        server_workers = {
            child.pid
            for child in psutil.Process(server.process.pid).children()
            if any(
                c.status == psutil.CONN_LISTEN and c.laddr.port == port
                for c in child.net_connections(kind="tcp")
            )
        }

    # Both workers served the tokens and recipes: what one made, the other read.
    assert set(shared_work) == server_workers, (shared_work, server_workers)
    assert len(server_workers) == 2
    assert spanning_rounds == 1
