"""`recipe-api serve` takes its process options from the environment, as a container sets them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from recipe_api import cli
from recipe_api.settings import get_settings


@pytest.fixture
def uvicorn_calls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.chdir(tmp_path)  # no .env from the working folder
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    for name in ("WEB_CONCURRENCY", "PROXY_HEADERS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_serve_defaults_to_one_worker_without_proxy_headers(
    uvicorn_calls: list[dict[str, Any]],
) -> None:
    cli.main(["serve", "--no-migrate"])
    (options,) = uvicorn_calls
    assert options["workers"] == 1
    assert options["proxy_headers"] is False
    assert options["forwarded_allow_ips"] == "127.0.0.1"


def test_serve_reads_workers_and_proxy_headers_from_the_environment(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PROXY_HEADERS", "true")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    cli.main(["serve", "--no-migrate"])
    (options,) = uvicorn_calls
    assert (options["workers"], options["proxy_headers"], options["forwarded_allow_ips"]) == (
        3,
        True,
        "10.0.0.5",
    )


def test_serve_flags_win_over_the_environment(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    cli.main(["serve", "--no-migrate", "--workers", "2", "--forwarded-allow-ips", "10.0.0.9"])
    (options,) = uvicorn_calls
    assert (options["workers"], options["forwarded_allow_ips"]) == (2, "10.0.0.9")


def test_serve_refuses_a_worker_count_that_is_not_a_number(
    uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    with pytest.raises(SystemExit, match="invalid settings"):
        cli.main(["serve", "--no-migrate"])
    assert uvicorn_calls == []
