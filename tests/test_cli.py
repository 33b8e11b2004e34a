"""`recipe-api serve`'s process options, where its email links point, and the command's help."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from recipe_api import cli
from recipe_api.ideas import emulator
from recipe_api.settings import get_settings
from tests.conftest import free_port


@pytest.fixture
def uvicorn_calls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    # The emulator too: a check that fails to refuse must not serve for ever.
    monkeypatch.setattr(emulator, "serve_fake_reddit", lambda *args: calls.append({"args": args}))
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


@pytest.fixture
def public_base_url_unset(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PUBLIC_BASE_URL absent before the test and after it (serve sets it for its workers)."""
    saved = os.environ.pop("PUBLIC_BASE_URL", None)
    yield
    os.environ.pop("PUBLIC_BASE_URL", None)
    if saved is not None:
        os.environ["PUBLIC_BASE_URL"] = saved


@pytest.mark.parametrize(("host", "shown"), [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1")])
def test_email_links_follow_the_served_address(
    uvicorn_calls: list[dict[str, Any]], public_base_url_unset: None, host: str, shown: str
) -> None:
    port = free_port()
    cli.main(["serve", "--no-migrate", "--host", host, "--port", str(port)])
    (options,) = uvicorn_calls
    assert (options["host"], options["port"]) == (host, port)
    # What the app built in this process and every worker process read.
    assert get_settings().public_base_url == f"http://{shown}:{port}"
    assert os.environ["PUBLIC_BASE_URL"] == f"http://{shown}:{port}"


def test_an_explicit_public_base_url_is_kept(
    uvicorn_calls: list[dict[str, Any]], public_base_url_unset: None, tmp_path: Path
) -> None:
    # Even when it is the default's value: set is set.
    (tmp_path / ".env").write_text("PUBLIC_BASE_URL=http://127.0.0.1:8001\n")
    cli.main(["serve", "--no-migrate", "--port", str(free_port())])
    assert get_settings().public_base_url == "http://127.0.0.1:8001"
    assert "PUBLIC_BASE_URL" not in os.environ


def test_served_base_url_names_a_reachable_host() -> None:
    assert cli.served_base_url("::", 8002) == "http://[::1]:8002"
    assert cli.served_base_url("::1", 8002) == "http://[::1]:8002"
    assert cli.served_base_url("localhost", 8002) == "http://localhost:8002"


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_help_is_plain_text_everywhere() -> None:
    helps = {parser.prog: parser.format_help() for parser in _parsers(cli.build_parser())}
    assert len(helps) == 16  # the command and each of its subcommands
    for prog, text in helps.items():
        assert "`" not in text, f"{prog} --help shows markup:\n{text}"
    assert "Exit status" in " ".join(helps["recipe-api"].split())


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "70000"],
        ["serve", "--port", "0"],
        ["serve", "--workers", "0"],
        ["outbox", "list", "--limit", "0"],
        ["outbox", "retry", "-3"],
        ["db", "seed", "--demo", "-5"],
        ["fake-reddit", "--latency", "-1"],
    ],
)
def test_nonsense_numbers_are_usage_errors(
    argv: list[str], uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert "out of range" in capsys.readouterr().err
    assert uvicorn_calls == []
