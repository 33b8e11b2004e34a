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


def test_the_app_is_published_on_loopback_unless_told_otherwise(compose: dict[str, Any]) -> None:
    assert compose["services"]["app"]["ports"] == [
        "${RECIPE_API_BIND:-127.0.0.1}:${RECIPE_API_PORT:-8001}:8001"
    ]


def test_compose_uses_nothing_docker_compose_lacks() -> None:
    # Docker Compose v2 reads the file too: no podman-compose extensions, no SELinux
    # relabelling suffixes, no podman-only keys.
    lines = (ROOT / "compose.yaml").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    for podman_only in ("x-podman", "userns_mode", "podman", ":Z", ":z"):
        assert podman_only not in text, podman_only


def test_the_final_stage_depends_on_the_build_by_content() -> None:
    lines = (ROOT / "Containerfile").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#"))
    final = text.rsplit("\nFROM ", 1)[1]
    # A RUN mounting the build stage is cached on its text by podman 4.3's buildah: after
    # a source change it shipped the old code. A COPY is cached on what it copies.
    assert "--mount" not in final
    assert "COPY --from=build /opt/recipe-api /opt/recipe-api" in final
    assert "pip uninstall" in final and "ensurepip" in final


def test_the_image_runs_unprivileged_with_a_health_check() -> None:
    text = (ROOT / "Containerfile").read_text()
    assert "ARG BASE_IMAGE=docker.io/library/python:3.11-slim" in text
    assert "ARG BUILD_IMAGE=docker.io/library/python:3.11-slim" in text
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
