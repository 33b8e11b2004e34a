"""The tutorial's requests, answered as its clients read them.

The journey through its frontend in a browser is tests/web/test_tutorial_frontend.py.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.users.repository import get_user_by_email
from tests.conftest import Account, MakeAccount, login

SIGNUP = "/api/v1/auth/signup"
MINE = "/api/v1/recipes/my-recipes/"
RECIPES = "/api/v1/recipes/"
# What the tutorial's frontend sends from its sign-up form (client.js, register()).
TUTORIAL_SIGNUP = {
    "email": "ada@example.com",
    "password": "long enough password",
    "full_name": "Ada King Lovelace",
    "is_active": True,
}


async def test_the_tutorial_signup_body_is_accepted_and_full_name_split(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(SIGNUP, json=TUTORIAL_SIGNUP)
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["first_name"], user["surname"]) == ("Ada", "King Lovelace")
    assert user["is_superuser"] is False
    token = (await login(client, "ada@example.com", "long enough password")).json()
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.json()["first_name"] == "Ada"


@pytest.mark.parametrize(
    ("body", "first_name", "surname"),
    [
        ({"full_name": "  Cher  "}, "Cher", None),
        ({"full_name": "Ludwig   van\tBeethoven"}, "Ludwig", "van Beethoven"),
        ({"full_name": "   "}, None, None),
        # Our own fields win: full_name only fills in when neither is given.
        ({"full_name": "Ada Lovelace", "first_name": "Augusta"}, "Augusta", None),
        ({"full_name": "Ada Lovelace", "surname": "King"}, None, "King"),
        # Unknown fields are ignored, as the tutorial's API ignores them.
        ({"full_name": "Ada Lovelace", "code": "beta", "accept": True}, "Ada", "Lovelace"),
        ({"is_superuser": False, "is_active": True}, None, None),
    ],
)
async def test_signup_name_rules(
    client: httpx.AsyncClient, body: dict[str, object], first_name: str | None, surname: str | None
) -> None:
    answer = await client.post(
        SIGNUP, json={"email": "cook@example.com", "password": "long enough password", **body}
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["first_name"], answer.json()["surname"]) == (first_name, surname)


@pytest.mark.parametrize(
    ("field", "value"),
    [("is_superuser", True), ("is_superuser", "true"), ("is_superuser", 1), ("is_active", False)],
)
async def test_signup_cannot_grant_a_privilege_nor_make_an_inactive_account(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: object
) -> None:
    answer = await client.post(SIGNUP, json={**TUTORIAL_SIGNUP, field: value})
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", field]
    assert await app.state.db.run(get_user_by_email, "ada@example.com") is None


async def test_signup_schema_says_unknown_fields_are_ignored(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schema = document["components"]["schemas"]["SignupIn"]
    assert schema["additionalProperties"] is True
    assert "ignored" in schema["description"]
    assert schema["properties"]["is_superuser"]["const"] is False
    assert schema["properties"]["is_active"]["const"] is True


async def test_openapi_is_also_where_the_tutorial_serves_it(client: httpx.AsyncClient) -> None:
    ours, theirs = await client.get("/openapi.json"), await client.get("/api/v1/openapi.json")
    assert ours.status_code == theirs.status_code == 200
    assert theirs.headers["content-type"] == "application/json"
    assert theirs.json() == ours.json()
    assert "/api/v1/openapi.json" not in ours.json()["paths"]


async def _add(client: httpx.AsyncClient, who: Account, label: str) -> dict[str, object]:
    body = {"label": label, "url": "https://example.com/r", "source": "Home"}
    created = await client.post(RECIPES, json={**body, "submitter_id": who.id}, headers=who.headers)
    assert created.status_code == 201, created.text
    recipe: dict[str, object] = created.json()
    return recipe


async def test_my_recipes_answers_results_and_its_cursor_reaches_every_recipe(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada, bob = await make_account("ada@example.com"), await make_account("bob@example.com")
    for n in range(7):
        await _add(client, ada, f"Ada's dish {n}")
        await _add(client, bob, f"Bob's dish {n}")
    first = await client.get(MINE, headers=ada.headers)
    assert first.status_code == 200
    newest_first = [f"Ada's dish {n}" for n in range(6, -1, -1)]
    assert [r["label"] for r in first.json()["results"]] == newest_first
    assert first.json()["total"] == 7
    assert first.json().get("next") is None

    seen: list[str] = []
    path: str | None = f"{MINE}?limit=3"
    pages = 0
    while path is not None:
        page = await client.get(path, headers=ada.headers)
        assert page.status_code == 200, page.text
        seen += [r["label"] for r in page.json()["results"]]
        path = page.json().get("next")
        pages += 1
    assert seen == newest_first
    assert pages == 3
    # Bob's cursor does not show Ada's recipes, nor Ada's his.
    bobs = await client.get(f"{MINE}?limit=3", headers=bob.headers)
    after = await client.get(bobs.json()["next"], headers=bob.headers)
    assert all(r["label"].startswith("Bob's") for r in after.json()["results"])


@pytest.mark.parametrize("query", ["cursor=nonsense", "cursor=AAAA&skip=3", "limit=0", "limit=101"])
async def test_my_recipes_bad_paging_is_4xx(
    client: httpx.AsyncClient, make_account: MakeAccount, query: str
) -> None:
    ada = await make_account("ada@example.com")
    answer = await client.get(f"{MINE}?{query}", headers=ada.headers)
    assert answer.status_code in (400, 422)
    assert answer.json()["detail"]


async def test_put_updates_a_recipe_as_the_tutorial_does(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    ada = await make_account("ada@example.com")
    recipe = await _add(client, ada, "Soup")
    updated = await client.put(
        RECIPES, json={"id": recipe["id"], "label": "Better soup"}, headers=ada.headers
    )
    assert updated.status_code == 201, updated.text
    assert updated.json()["label"] == "Better soup"
    assert updated.json()["source"] == "Home"
    read = await client.get(f"{RECIPES}{recipe['id']}")
    assert read.json()["label"] == "Better soup"
    more = await client.put(
        RECIPES,
        json={"id": recipe["id"], "label": "Soup", "tags": ["Winter"], "prep_minutes": 5},
        headers=ada.headers,
    )
    assert more.status_code == 201
    assert (more.json()["tags"], more.json()["total_minutes"]) == (["winter"], 5)


async def test_put_is_for_the_submitter_or_a_superuser(
    client: httpx.AsyncClient, make_account: MakeAccount, superuser: Account
) -> None:
    ada, bob = await make_account("ada@example.com"), await make_account("bob@example.com")
    recipe = await _add(client, ada, "Soup")
    body = {"id": recipe["id"], "label": "Bob's now"}
    assert (await client.put(RECIPES, json=body)).status_code == 401
    refused = await client.put(RECIPES, json=body, headers=bob.headers)
    assert refused.status_code == 403
    assert refused.json()["detail"]
    assert (await client.get(f"{RECIPES}{recipe['id']}")).json()["label"] == "Soup"
    by_admin = await client.put(RECIPES, json=body, headers=superuser.headers)
    assert by_admin.status_code == 201
    assert by_admin.json()["submitter_id"] == ada.id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": 999_999, "label": "Nothing"}, 404),
        ({"label": "No id"}, 422),
        ({"id": 1}, 422),
        ({"id": 1, "label": "  "}, 422),
        ({"id": 1, "label": "x", "submitter_id": 2}, 422),
        ({"id": 0, "label": "x"}, 422),
    ],
)
async def test_put_bad_input_is_4xx(
    client: httpx.AsyncClient, make_account: MakeAccount, body: dict[str, object], status: int
) -> None:
    ada = await make_account("ada@example.com")
    await _add(client, ada, "Soup")
    answer = await client.put(RECIPES, json=body, headers=ada.headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]


async def test_put_is_declared_in_openapi_with_its_statuses(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/v1/recipes/"]["put"]
    assert set(operation["responses"]) >= {"201", "400", "401", "403", "404", "413", "422", "503"}
    document = (await client.get("/openapi.json")).json()
    answer = document["paths"][MINE]["get"]["responses"]["200"]["content"]["application/json"]
    name = answer["schema"]["$ref"].rsplit("/", 1)[1]
    assert "results" in document["components"]["schemas"][name]["required"]
