"""Recipes change only by their submitter or a superuser."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account, MakeAccount

RECIPE = {"label": "Ada's bread", "source": "Ada", "url": "https://example.com/bread"}


@pytest.fixture
async def ada(make_account: MakeAccount) -> Account:
    return await make_account("ada@example.com")


@pytest.fixture
async def bob(make_account: MakeAccount) -> Account:
    return await make_account("bob@example.com")


@pytest.fixture
async def adas_recipe(client: httpx.AsyncClient, ada: Account) -> dict[str, object]:
    response = await client.post("/api/v1/recipes/", json=RECIPE, headers=ada.headers)
    assert response.status_code == 201
    body: dict[str, object] = response.json()
    return body


async def test_anonymous_cannot_write(
    client: httpx.AsyncClient, adas_recipe: dict[str, object]
) -> None:
    rid = adas_recipe["id"]
    assert (await client.post("/api/v1/recipes/", json=RECIPE)).status_code == 401
    assert (await client.patch(f"/api/v1/recipes/{rid}", json={"label": "x"})).status_code == 401
    assert (await client.delete(f"/api/v1/recipes/{rid}")).status_code == 401
    assert (await client.get(f"/api/v1/recipes/{rid}")).json() == adas_recipe


async def test_owner_patches_partially(
    client: httpx.AsyncClient, ada: Account, adas_recipe: dict[str, object]
) -> None:
    rid = adas_recipe["id"]
    response = await client.patch(
        f"/api/v1/recipes/{rid}", json={"label": "  Better bread  "}, headers=ada.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["label"] == "Better bread"
    assert body["url"] == adas_recipe["url"]
    assert body["source"] == adas_recipe["source"]
    assert body["updated_at"] >= adas_recipe["updated_at"]
    assert (await client.get(f"/api/v1/recipes/{rid}")).json() == body


@pytest.mark.parametrize(
    "change",
    [{"label": ""}, {"url": "nope"}, {"submitter_id": 2}, {"id": 5}, {"source": "s" * 300}],
)
async def test_bad_patch_changes_nothing(
    client: httpx.AsyncClient,
    ada: Account,
    adas_recipe: dict[str, object],
    change: dict[str, object],
) -> None:
    rid = adas_recipe["id"]
    response = await client.patch(f"/api/v1/recipes/{rid}", json=change, headers=ada.headers)
    assert response.status_code == 422
    assert (await client.get(f"/api/v1/recipes/{rid}")).json() == adas_recipe


async def test_other_user_cannot_patch_or_delete(
    client: httpx.AsyncClient, bob: Account, adas_recipe: dict[str, object]
) -> None:
    rid = adas_recipe["id"]
    patch = await client.patch(
        f"/api/v1/recipes/{rid}", json={"label": "Mine"}, headers=bob.headers
    )
    assert patch.status_code == 403
    assert patch.json()["detail"]
    delete = await client.delete(f"/api/v1/recipes/{rid}", headers=bob.headers)
    assert delete.status_code == 403
    assert (await client.get(f"/api/v1/recipes/{rid}")).json() == adas_recipe


async def test_owner_deletes(
    client: httpx.AsyncClient, ada: Account, adas_recipe: dict[str, object]
) -> None:
    rid = adas_recipe["id"]
    response = await client.delete(f"/api/v1/recipes/{rid}", headers=ada.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/api/v1/recipes/{rid}")).status_code == 404
    again = await client.delete(f"/api/v1/recipes/{rid}", headers=ada.headers)
    assert again.status_code == 404


async def test_superuser_may_change_anyones(
    client: httpx.AsyncClient, superuser: Account, adas_recipe: dict[str, object]
) -> None:
    rid = adas_recipe["id"]
    patch = await client.patch(
        f"/api/v1/recipes/{rid}", json={"source": "Moderated"}, headers=superuser.headers
    )
    assert patch.status_code == 200
    changed = patch.json()
    assert changed["source"] == "Moderated"
    assert changed["label"] == adas_recipe["label"]
    assert changed["submitter_id"] == adas_recipe["submitter_id"]
    assert (await client.get(f"/api/v1/recipes/{rid}")).json() == changed
    assert (
        await client.delete(f"/api/v1/recipes/{rid}", headers=superuser.headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/recipes/{rid}")).status_code == 404


async def test_missing_recipe_is_404_for_writers(client: httpx.AsyncClient, ada: Account) -> None:
    patch = await client.patch("/api/v1/recipes/4242", json={"label": "x"}, headers=ada.headers)
    assert patch.status_code == 404
    assert patch.json() == {"detail": "Recipe with ID 4242 not found"}
    assert (await client.delete("/api/v1/recipes/4242", headers=ada.headers)).status_code == 404


async def test_submitting_in_another_name(
    client: httpx.AsyncClient, ada: Account, bob: Account, superuser: Account
) -> None:
    as_bob = await client.post(
        "/api/v1/recipes/", json={**RECIPE, "submitter_id": bob.id}, headers=ada.headers
    )
    assert as_bob.status_code == 403
    own_id = await client.post(
        "/api/v1/recipes/", json={**RECIPE, "submitter_id": ada.id}, headers=ada.headers
    )
    assert own_id.status_code == 201
    by_admin = await client.post(
        "/api/v1/recipes/", json={**RECIPE, "submitter_id": bob.id}, headers=superuser.headers
    )
    assert by_admin.status_code == 201
    assert by_admin.json()["submitter_id"] == bob.id


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_each_write_is_one_unit_of_work(
    app: FastAPI,
    client: httpx.AsyncClient,
    ada: Account,
    bob: Account,
    adas_recipe: dict[str, object],
    method: str,
) -> None:
    """The ownership check and the write share one transaction, for the owner and others."""
    calls: list[str] = []
    db = app.state.db
    run, read = db.run, db.read

    async def counting_run(fn: Any, *args: object, **kwargs: object) -> object:
        calls.append("run")
        return await run(fn, *args, **kwargs)

    async def counting_read(fn: Any, *args: object, **kwargs: object) -> object:
        calls.append("read")
        return await read(fn, *args, **kwargs)

    rid = adas_recipe["id"]
    db.run, db.read = counting_run, counting_read
    try:
        refused = await client.request(
            method, f"/api/v1/recipes/{rid}", json={"label": "x"}, headers=bob.headers
        )
        calls_for_bob = list(calls)
        done = await client.request(
            method, f"/api/v1/recipes/{rid}", json={"label": "x"}, headers=ada.headers
        )
    finally:
        del db.run, db.read
    assert refused.status_code == 403
    assert done.status_code in (200, 204)
    # The token's user is a read; the check and the write are one unit of work.
    assert calls_for_bob == ["read", "run"]
    assert calls == ["read", "run", "read", "run"]
