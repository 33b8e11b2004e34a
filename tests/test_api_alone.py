"""The API stands without the website: ``create_app(website=False)`` imports nothing of it.

The API alone is run in a fresh interpreter (this one has imported the website
already), on both backends: accounts, a recipe written and read, and every
kind of error answered as JSON ``detail``; no module of ``recipe_api.web`` is
loaded. Its OpenAPI document is the whole app's: the website adds no API.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from recipe_api.main import create_api, create_app
from recipe_api.settings import Settings

_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys

    import httpx

    from recipe_api.main import create_app
    from recipe_api.settings import Settings

    async def main() -> dict:
        settings = Settings(_env_file=None, **json.loads(sys.argv[1]))
        app = create_app(settings, website=False)
        seen = {}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                account = {"email": "alone@example.com", "password": "long enough password"}
                signup = await client.post("/api/v1/auth/signup", json=account)
                seen["signup"] = signup.status_code
                login = await client.post(
                    "/api/v1/auth/login",
                    data={"username": account["email"], "password": account["password"]},
                )
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                created = await client.post(
                    "/api/v1/recipes/",
                    json={"label": "Lentil soup", "url": "https://example.com/soup",
                          "source": "Nan", "submitter_id": 1},
                    headers=headers,
                )
                seen["created"] = created.status_code
                recipe_id = created.json().get("id")
                got = await client.get(f"/api/v1/recipes/{recipe_id}")
                seen["read"] = [got.status_code, got.json().get("label")]
                html = {"Accept": "text/html"}
                for name, response in {
                    "missing_recipe": await client.get("/api/v1/recipes/999999", headers=html),
                    "bad_id": await client.get("/api/v1/recipes/abc", headers=html),
                    "no_route": await client.get("/my-recipes", headers=html),
                    "bad_login": await client.post(
                        "/api/v1/auth/login", data={"username": "x@example.com", "password": "nope"}
                    ),
                }.items():
                    seen[name] = [
                        response.status_code,
                        response.headers.get("content-type"),
                        response.json().get("detail") is not None,
                    ]
        seen["web_modules"] = sorted(m for m in sys.modules if m.startswith("recipe_api.web"))
        return seen

    print(json.dumps(asyncio.run(main())))
    """
)


def _run_api_alone(settings: Settings) -> dict[str, Any]:
    fields = settings.model_dump(
        mode="json",
        include={
            "database_url",
            "secret_key",
            "secret_key_file",
            "argon2_time_cost",
            "argon2_memory_kib",
            "argon2_parallelism",
            "email_outbox_dir",
            "outbox_sender",
            "prune_in_workers",
            "reddit_base_url",
            "reddit_oauth_url",
        },
    )
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps({**fields, "redis_url": None})],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_api_works_with_the_website_absent(settings: Settings) -> None:
    seen = _run_api_alone(settings)

    assert seen["web_modules"] == []
    assert seen["signup"] == 201
    assert seen["created"] == 201
    assert seen["read"] == [200, "Lentil soup"]
    # JSON for every error, even to a client asking for HTML: there is no page to show.
    json_type = "application/json"
    assert seen["missing_recipe"] == [404, json_type, True]
    assert seen["bad_id"] == [422, json_type, True]
    assert seen["no_route"] == [404, json_type, True]
    assert seen["bad_login"] == [401, json_type, True]


def test_the_api_alone_documents_the_same_api(settings: Settings) -> None:
    alone = create_api(settings)
    whole = create_app(settings)

    document = alone.openapi()
    assert document == whole.openapi()
    assert {"/api/v1/recipes/", "/api/v1/auth/login", "/api/v1/ideas"} <= set(document["paths"])
