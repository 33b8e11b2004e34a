"""The cook's recipe box: recipes, photos, favourites and meal plan out and back in, both databases.

Exported from one account, imported into another account of the same
installation and into another installation (the other database), each twice:
the second import adds nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.db.engine import Database
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import Account, MakeAccount, _empty_tables
from tests.recipes.test_imports import FULL, PHOTO, PLAIN, my_recipes, run_jobs, upload

PLAN = "/api/v1/meal-plan"
COMPARED = [*FULL, "source", "url"]


async def add_recipe(client: httpx.AsyncClient, cook: Account, **fields: Any) -> dict[str, Any]:
    created = await client.post("/api/v1/recipes/", json=fields, headers=cook.headers)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def favourites(client: httpx.AsyncClient, cook: Account) -> list[str]:
    page = (await client.get("/api/v1/favourites/?limit=50", headers=cook.headers)).json()
    return sorted(item["recipe"]["label"] for item in page["items"])


async def week(client: httpx.AsyncClient, cook: Account) -> list[tuple[str, str, int, str]]:
    answer = (await client.get(f"{PLAN}?week=2026-W50", headers=cook.headers)).json()
    return sorted(
        (e["day"], e["meal"], e["servings"], e["recipe_label"]) for e in answer["entries"]
    )


async def photo_url(client: httpx.AsyncClient, cook: Account, recipe_id: int) -> str | None:
    answer = await client.get(f"/api/v1/recipes/{recipe_id}/photo", headers=cook.headers)
    url: str | None = answer.json()["url"]
    return url


async def import_box(
    app: FastAPI, client: httpx.AsyncClient, cook: Account, archive: bytes
) -> dict[str, Any]:
    job = await upload(client, cook, ("my-recipes.zip", archive))
    assert job.status_code == 202, job.text
    assert job.json()["format"] == "recipe-box"
    await run_jobs(app)
    done = await client.get(f"/api/v1/recipes/imports/{job.json()['id']}", headers=cook.headers)
    body: dict[str, Any] = done.json()
    assert body["status"] == "done"
    return body


@pytest.fixture
async def other_installation(
    settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The same service on the other database, empty."""
    other = "postgresql" if settings.database_url.startswith("sqlite") else "sqlite"
    url: str = request.getfixturevalue(f"{other}_url")
    emptier = Database.from_url(url)
    try:
        _empty_tables(emptier)
    finally:
        emptier.dispose()
    application = create_app(settings.model_copy(update={"database_url": url}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as http:
            yield application, http


async def test_the_recipe_box_holds_photos_favourites_and_plan_and_comes_back_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: MakeAccount,
    other_installation: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    ada = await make_account("ada@example.com")
    bob = await make_account("bob@example.com")
    shakshuka = await add_recipe(client, ada, **FULL)
    toast = await add_recipe(client, ada, **PLAIN)
    soup = await add_recipe(client, bob, label="Bob's soup", url="https://bob.example/soup")
    stored = await client.put(
        f"/api/v1/recipes/{shakshuka['id']}/photo",
        files={"photo": ("photo.jpg", PHOTO, "image/jpeg")},
        headers=ada.headers,
    )
    assert stored.status_code in (200, 201), stored.text
    for recipe in (shakshuka, soup):
        marked = await client.put(f"/api/v1/recipes/{recipe['id']}/favourite", headers=ada.headers)
        assert marked.status_code == 204
    for recipe, day, meal, servings in (
        (shakshuka, "2026-12-09", "dinner", 3),
        (toast, "2026-12-10", "breakfast", 1),
        (soup, "2026-12-10", "lunch", 2),
    ):
        entry = await client.post(
            f"{PLAN}/entries",
            json={"recipe_id": recipe["id"], "day": day, "meal": meal, "servings": servings},
            headers=ada.headers,
        )
        assert entry.status_code == 201, entry.text

    answer = await client.get("/api/v1/recipes/my-recipes/archive", headers=ada.headers)
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        [with_photo] = [item for item in manifest["recipes"] if "photo" in item]
        photo = archive.read(with_photo["photo"])
    assert with_photo["name"] == "Shakshuka"
    assert photo[:4] == b"RIFF" and photo[8:12] == b"WEBP"  # the largest stored WebP
    own_file = with_photo["file"]
    assert manifest["favourites"] == [
        {"file": own_file},
        {"url": "https://bob.example/soup", "name": "Bob's soup", "ingredients": []},
    ]
    assert [(e["day"], e["meal"], e["servings"]) for e in manifest["meal_plan"]] == [
        ("2026-12-09", "dinner", 3),
        ("2026-12-10", "breakfast", 1),
        ("2026-12-10", "lunch", 2),
    ]
    expected_plan = [
        ("2026-12-09", "dinner", 3, "Shakshuka"),
        ("2026-12-10", "breakfast", 1, "Toast"),
        ("2026-12-10", "lunch", 2, "Bob's soup"),
    ]
    assert await week(client, ada) == expected_plan
    before = sorted(await my_recipes(client, ada), key=lambda r: r["label"])

    # Another account of this installation: Bob's shared soup is found by its key.
    cara = await make_account("cara@example.com")
    for attempt in (1, 2):
        job = await import_box(app, client, cara, answer.content)
        assert job["imported"] == (2 if attempt == 1 else 0)
        assert not [p for p in job["problems"] if "photo" in p["reason"]]
        mine = sorted(await my_recipes(client, cara), key=lambda r: r["label"])
        assert [{k: r[k] for k in COMPARED} for r in mine] == [
            {k: r[k] for k in COMPARED} for r in before
        ]
        assert all(r["private"] for r in mine)
        assert await photo_url(client, cara, mine[0]["id"]) is not None  # Shakshuka
        assert await photo_url(client, cara, mine[1]["id"]) is None  # Toast had none
        assert await favourites(client, cara) == ["Bob's soup", "Shakshuka"]
        assert await week(client, cara) == expected_plan

    # Another installation: no Bob there, so his soup is left out, and said so.
    other_app, other_client = other_installation
    await other_client.post(
        "/api/v1/auth/signup", json={"email": "ada@example.com", "password": "long enough password"}
    )
    token = (
        await other_client.post(
            "/api/v1/auth/login",
            data={"username": "ada@example.com", "password": "long enough password"},
        )
    ).json()["access_token"]
    elsewhere = Account(
        0, "ada@example.com", "long enough password", {"Authorization": f"Bearer {token}"}
    )
    for attempt in (1, 2):
        job = await import_box(other_app, other_client, elsewhere, answer.content)
        assert (job["imported"], job["skipped"]) == ((2, 0) if attempt == 1 else (0, 2))
        assert any("not found here" in p["reason"] for p in job["problems"])
        mine = sorted(await my_recipes(other_client, elsewhere), key=lambda r: r["label"])
        assert [r["label"] for r in mine] == ["Shakshuka", "Toast"]
        assert await photo_url(other_client, elsewhere, mine[0]["id"]) is not None
        assert await favourites(other_client, elsewhere) == ["Shakshuka"]
        assert await week(other_client, elsewhere) == [
            ("2026-12-09", "dinner", 3, "Shakshuka"),
            ("2026-12-10", "breakfast", 1, "Toast"),
        ]


async def test_a_box_with_damaged_keys_imports_its_recipes_and_says_what_was_left_out(
    app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("ada@example.com")
    await add_recipe(client, ada, **PLAIN)
    answer = await client.get("/api/v1/recipes/my-recipes/archive", headers=ada.headers)
    source = zipfile.ZipFile(io.BytesIO(answer.content))
    manifest = json.loads(source.read("manifest.json"))
    manifest["favourites"] = [{"file": "recipes/missing.json"}, "nonsense"]
    manifest["meal_plan"] = [
        {"day": "someday", "meal": "dinner", "servings": 2, "file": manifest["recipes"][0]["file"]},
        {"day": "2026-12-09", "meal": "elevenses", "servings": 2, "name": "Toast"},
        {"day": "2026-12-09", "meal": "dinner", "servings": 0, "name": "Toast"},
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in source.namelist():
            if name != "manifest.json":
                archive.writestr(name, source.read(name))
        archive.writestr("manifest.json", json.dumps(manifest))
    bea = await make_account("bea@example.com")
    job = await import_box(app, client, bea, buffer.getvalue())
    assert job["imported"] == 1
    assert {
        "recipe": "favourites and meal plan",
        "reason": "5 could not be read (no such recipe in the archive, or a bad day, meal or "
        "servings): left out",
        "skipped": False,
    } in job["problems"]
    assert await favourites(client, bea) == [] and await week(client, bea) == []
