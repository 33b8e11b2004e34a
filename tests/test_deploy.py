"""The container files keep their promises; `.ci/containers` runs them for real."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRETS = ("SECRET_KEY", "FIRST_SUPERUSER_PASSWORD", "POSTGRES_PASSWORD")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_secrets_have_no_default_in_compose() -> None:
    text = (ROOT / "compose.yaml").read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[?-][^}]*)?\}", text)
        assert uses, name
        assert all(use.startswith(":?") for use in uses), (name, uses)


def test_the_app_runs_in_production_after_one_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("app", "migrate"):
        assert services[name]["environment"]["ENVIRONMENT"] == "production"
    assert "--no-migrate" in services["app"]["command"]
    assert "recipe-api db upgrade && recipe-api db seed" in services["migrate"]["entrypoint"]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["app"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert set(compose["volumes"]) == {"pgdata", "redisdata"}
    assert "ports" not in services["db"] and "ports" not in services["redis"]


def test_the_image_runs_unprivileged_with_a_health_check() -> None:
    text = (ROOT / "Containerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n?.*/health/live", text, re.MULTILINE)
    assert 'ENTRYPOINT ["recipe-api"]' in text
    assert '"--no-migrate"' in text


def test_the_check_skips_without_a_container_runtime(tmp_path: Path) -> None:
    # A PATH holding only what the script needs before it looks for docker or podman.
    for tool in ("bash", "cat", "cut", "dirname", "sha256sum"):
        found = shutil.which(tool)
        assert found, tool
        (tmp_path / tool).symlink_to(found)
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    skipped = subprocess.run(
        [str(ROOT / "deploy" / "stack"), "check"], env=env, capture_output=True, text=True
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "SKIP: neither docker" in skipped.stderr
    in_ci = subprocess.run(
        [str(ROOT / "deploy" / "stack"), "check"],
        env={**env, "CI": "true"},
        capture_output=True,
        text=True,
    )
    assert in_ci.returncode != 0
    assert "no container runtime" in in_ci.stderr
