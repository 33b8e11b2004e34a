"""Two workers on one database never serve one cook's private recipe to another.

Each worker keeps its own answer cache (``recipes/cache.py``): two
``recipe-api serve`` processes on the same database, one warmed while a
recipe is public, the other making it private, and both asked after, by a
visitor, another cook and its own cook, for the recipe, the search (API and
website) and the home page.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import serving


def _account(http: httpx.Client, email: str) -> dict[str, str]:
    signup = http.post("/api/v1/auth/signup", json={"email": email, "password": "two workers pw"})
    assert signup.status_code == 201, signup.text
    login = http.post("/api/v1/auth/login", data={"username": email, "password": "two workers pw"})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _found(http: httpx.Client, headers: dict[str, str], **params: Any) -> list[int]:
    answer = http.get("/api/v1/recipes/search/", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [recipe["id"] for recipe in answer.json()["results"]]


def test_two_workers_keep_private_recipes_private(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "SIGNUP_MAX_PER_CLIENT": "10000",
        "LOG_LEVEL": "WARNING",
        # What is tested is who sees what, not how fast: a search on a busy CI
        # machine once took its 1 s default and answered 503.
        "SEARCH_TIMEOUT_MS": "10000",
    }
    env.pop("REDIS_URL", None)
    with (
        serving(["--no-migrate", "--no-access-log"], env, tmp_path) as first,
        serving(["--no-migrate", "--no-access-log"], env, tmp_path) as second,
        httpx.Client(base_url=first.url, timeout=10) as one,
        httpx.Client(base_url=second.url, timeout=10) as two,
    ):
        ada = _account(one, "ada@example.com")
        bob = _account(two, "bob@example.com")
        created = one.post("/api/v1/recipes/", json={"label": "Damson plum cake"}, headers=ada)
        recipe = created.json()
        path = f"/api/v1/recipes/{recipe['id']}"

        # Worker one keeps the public answers: the recipe, the searches, the home page.
        assert one.get(path).status_code == 200
        assert recipe["id"] in _found(one, {}, keyword="damson plum")
        assert recipe["id"] in _found(one, bob, keyword="damson plum")
        assert "Damson plum cake" in one.get("/").text
        assert "Damson plum cake" in one.get("/search", params={"q": "damson"}).text

        # Worker two makes it private.
        hidden = two.patch(path, json={"private": True}, headers=ada)
        assert hidden.status_code == 200 and hidden.json()["private"] is True

        for worker in (one, two):
            assert worker.get(path).status_code == 404
            assert worker.get(path, headers=bob).status_code == 404
            assert recipe["id"] not in _found(worker, {}, keyword="damson plum")
            assert recipe["id"] not in _found(worker, bob, keyword="damson plum")
            assert "Damson plum cake" not in worker.get("/").text
            assert "Damson plum cake" not in worker.get("/search", params={"q": "damson"}).text
            # Its cook still sees it, and their answer is not served to the next asker.
            assert worker.get(path, headers=ada).status_code == 200
            assert recipe["id"] in _found(worker, ada, keyword="damson plum")
            assert recipe["id"] not in _found(worker, bob, keyword="damson plum")
            assert worker.get(path, headers=bob).status_code == 404
            assert worker.get(path).status_code == 404
