"""Metrics, request ids, structured logs and compression, in the app and in a real server."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import serving

READ_TEMPLATE = "/api/v1/recipes/{recipe_id}"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def metered(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with /metrics on (one process: prometheus_client's own registry)."""
    app: FastAPI = create_app(settings.model_copy(update={"metrics_enabled": True}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_requests_are_counted_by_route_template_and_status(
    metered: httpx.AsyncClient,
) -> None:
    labels = {"method": "GET", "route": READ_TEMPLATE, "status": "404"}
    before = _sample("recipe_api_http_requests_total", **labels)
    timed = _sample("recipe_api_http_request_duration_seconds_count", **labels)

    for recipe_id in (101, 102, 103):
        assert (await metered.get(f"/api/v1/recipes/{recipe_id}")).status_code == 404
    await metered.get("/no/such/page")
    text = (await metered.get("/metrics")).text

    assert _sample("recipe_api_http_requests_total", **labels) == before + 3
    assert _sample("recipe_api_http_request_duration_seconds_count", **labels) == timed + 3
    assert 'route="/api/v1/recipes/101"' not in text
    assert 'route="unmatched"' in text
    assert "recipe_api_db_pool_connections_in_use" in text


async def test_metrics_are_off_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_a_refused_login_is_counted(client: httpx.AsyncClient) -> None:
    before = _sample("recipe_api_login_throttled_total")
    form = {"username": f"{uuid.uuid4().hex[:8]}@example.com", "password": "wrong password"}

    statuses = [(await client.post("/api/v1/auth/login", data=form)).status_code for _ in range(7)]

    assert statuses.count(429) == 2
    assert _sample("recipe_api_login_throttled_total") == before + 2


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-42.abc:def", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("bad id with spaces", False),
        ("<script>", False),
        ("", False),
    ],
)
async def test_a_sane_request_id_is_echoed_and_any_other_replaced(
    client: httpx.AsyncClient, sent: str, kept: bool
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": sent})

    echoed = response.headers["x-request-id"]
    if kept:
        assert echoed == sent
    else:
        assert echoed != sent
        assert len(echoed) == 32
        int(echoed, 16)


async def test_large_answers_are_gzipped_when_accepted(client: httpx.AsyncClient) -> None:
    plain = await client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    zipped = await client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    small = await client.get("/health/live", headers={"Accept-Encoding": "gzip"})

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.json() == plain.json()  # httpx decodes it
    assert "content-encoding" not in small.headers
    for response in (plain, zipped, small):
        assert float(response.headers["x-process-time"]) >= 0


async def test_the_home_page_is_gzipped(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"
    assert "<html" in response.text


def _log_lines(output: bytes) -> list[dict[str, Any]]:
    lines = []
    for line in output.decode(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(orjson.loads(line))
    return lines


def test_two_workers_one_metrics_endpoint_and_json_logs(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'observed.db'}",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "METRICS_ENABLED": "true",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    reads = 60
    with serving(["--workers", "2"], env, tmp_path) as server:
        # A new connection each time, so the kernel spreads them over both workers.
        for _ in range(reads):
            assert httpx.get(f"{server.url}/api/v1/recipes/1").status_code == 200
        chosen = f"test-{uuid.uuid4().hex[:12]}"
        with_id = httpx.get(f"{server.url}/api/v1/recipes/2", headers={"X-Request-ID": chosen})
        without_id = httpx.get(f"{server.url}/api/v1/recipes/3")
        scraped = httpx.get(f"{server.url}/metrics")
        process = server.process
    output = process.stdout.read() if process.stdout else b""

    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    counted = {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
        if sample.name == "recipe_api_http_requests_total"
        and sample.labels["route"] == READ_TEMPLATE
    }
    assert counted == {"200": reads + 2}

    lines = _log_lines(output)
    assert lines, output[-2000:]
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "request_id"} <= set(line)
    access = [line for line in lines if line["logger"] == "recipe_api.access"]
    reading = [line for line in access if line["route"] == READ_TEMPLATE]
    # Both workers answered, and /metrics (from one of them) counted every answer.
    assert len({line["pid"] for line in reading}) == 2
    assert len(reading) == reads + 2

    assert with_id.headers["x-request-id"] == chosen
    generated = without_id.headers["x-request-id"]
    for request_id, path in ((chosen, "/api/v1/recipes/2"), (generated, "/api/v1/recipes/3")):
        [line] = [line for line in access if line["request_id"] == request_id]
        assert (line["method"], line["path"], line["status"]) == ("GET", path, 200)
        assert line["duration_ms"] > 0
        assert line["level"] == "INFO"


def test_live_gauges_of_dead_workers_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recipe_api import observability

    dead = 2**22 + 12345  # above the default pid_max: no process has it
    for pid in (dead, os.getpid()):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
    (tmp_path / f"counter_{dead}.db").write_bytes(b"")
    monkeypatch.setenv(observability.MULTIPROC_ENV, str(tmp_path))

    observability.worker_started()

    remaining = sorted(path.name for path in tmp_path.iterdir())
    # A dead worker's counts still count; its share of a live gauge does not.
    assert remaining == [f"counter_{dead}.db", f"gauge_livesum_{os.getpid()}.db"]
