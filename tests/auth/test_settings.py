"""Unsafe settings are refused in production; development makes its own key, once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from recipe_api.auth.security import load_secret_key
from recipe_api.settings import Settings

STRONG_KEY = "k" * 48


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"first_superuser_password": "a good long password"}, "SECRET_KEY"),
        ({"secret_key": "changethis", "first_superuser_password": "a good long pw"}, "SECRET_KEY"),
        ({"secret_key": "short", "first_superuser_password": "a good long pw"}, "SECRET_KEY"),
        ({"secret_key": STRONG_KEY}, "FIRST_SUPERUSER_PASSWORD"),
        ({"secret_key": STRONG_KEY, "first_superuser_password": "short"}, "FIRST_SUPERUSER"),
    ],
)
def test_production_refuses_unsafe_settings(values: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        _settings(environment="production", **values)


def test_production_accepts_strong_settings() -> None:
    settings = _settings(
        environment="production",
        secret_key=STRONG_KEY,
        first_superuser_password="a good long password",
    )
    assert load_secret_key(settings) == STRONG_KEY


def test_development_key_is_generated_once(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "secret_key"
    settings = _settings(secret_key_file=path)
    first = load_secret_key(settings)
    assert len(first) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(settings) == first


def test_serve_refuses_to_start_in_production_without_a_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY",)}
    env |= {"ENVIRONMENT": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "recipe_api.cli", "serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to start in production" in result.stderr
    assert not (tmp_path / "p.db").exists()


def test_seed_prints_a_generated_password_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FIRST_SUPERUSER_PASSWORD"}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'seed.db'}",
        "SECRET_KEY_FILE": str(tmp_path / "key"),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
    }

    def cli(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "recipe_api.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    cli("db", "upgrade")
    first = cli("db", "seed")
    assert "generated password for admin@recipeapi.com" in first
    assert "3 recipe(s) added" in first
    second = cli("db", "seed")
    assert "password" not in second
    assert "0 recipe(s) added" in second


def test_superuser_email_is_normalised() -> None:
    settings = Settings(
        _env_file=None,
        first_superuser_email="  Admin@RecipeAPI.com ",
    )
    # The domain in its one form; the part before the @ as typed (found whatever its case).
    assert settings.first_superuser_email == "Admin@recipeapi.com"
