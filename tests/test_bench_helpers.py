"""The benchmark's helpers that decide what ``make bench`` shows (no load is generated here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.append(str(Path(__file__).resolve().parent.parent / "bench"))

import pinned_venv
import profile_hotpaths


def test_a_failed_pinned_build_is_reported_and_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = tmp_path / "venv"
    monkeypatch.setattr(pinned_venv, "VENV", venv)
    monkeypatch.setattr(pinned_venv, "STAMP", venv / ".requirements-sha256")

    def offline(argv: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        venv.mkdir(exist_ok=True)
        failed = "pip" in argv
        stderr = "ERROR: No matching distribution found for fastapi==0.68.2" if failed else ""
        return subprocess.CompletedProcess(argv, 1 if failed else 0, "", stderr)

    monkeypatch.setattr(pinned_venv.subprocess, "run", offline)

    assert pinned_venv.tutorial_python() is None
    out = capsys.readouterr().out
    assert "could not be built" in out
    assert "No matching distribution found" in out
    assert not venv.exists()


def test_a_built_pinned_venv_is_reused_until_its_requirements_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    monkeypatch.setattr(pinned_venv, "VENV", venv)
    monkeypatch.setattr(pinned_venv, "STAMP", venv / ".requirements-sha256")
    calls: list[list[str]] = []

    def record(argv: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        (venv / "bin").mkdir(parents=True, exist_ok=True)
        (venv / "bin" / "python").touch()
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(pinned_venv.subprocess, "run", record)

    (venv / ".requirements-sha256").write_text(pinned_venv._digest() + "\n")
    assert pinned_venv.tutorial_python(quiet=True) == venv / "bin" / "python"
    assert calls == []

    (venv / ".requirements-sha256").write_text("an older file\n")
    assert pinned_venv.tutorial_python(quiet=True) == venv / "bin" / "python"
    assert [argv[1:3] for argv in calls] == [["-m", "venv"], ["-m", "pip"]]


def test_every_tutorial_pin_is_exact() -> None:
    lines = [
        line.split("#")[0].strip() for line in pinned_venv.REQUIREMENTS.read_text().splitlines()
    ]
    pins = [line for line in lines if line]
    assert len(pins) > 10
    assert all("==" in pin for pin in pins), pins


def test_profile_samples_go_to_the_owner_of_the_innermost_frame(tmp_path: Path) -> None:
    raw = tmp_path / "read.txt"
    app = "Runner.run (asyncio/runners.py:118);FastAPI.__call__ (fastapi/applications.py:1)"
    raw.write_text(
        f"{app};solve_dependencies (fastapi/dependencies/utils.py:823) 3\n"
        f"{app};RequestResponseCycle.send (uvicorn/protocols/http/httptools_impl.py:524) 6\n"
        "Connection.execute (asyncpg/connection.py:350) 1\n"
        "a line py-spy cut short\n"
    )
    stacks = profile_hotpaths._read_stacks(raw)
    owners = profile_hotpaths.owner_shares(stacks)
    assert owners["uvicorn: transport.write of the head and the body"] == pytest.approx(0.6)
    assert owners["FastAPI dependency resolution + parameter validation"] == pytest.approx(0.3)
    assert owners["database driver call (sqlite3 execute/fetch, asyncpg)"] == pytest.approx(0.1)
    nested = profile_hotpaths.shares(stacks)
    assert nested["inside the app (FastAPI.__call__)"] == pytest.approx(0.9)
    assert nested["    dependency resolution + request validation"] == pytest.approx(0.3)
