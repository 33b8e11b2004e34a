from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account, MakeAccount

GOOD = {"label": "Shakshuka", "source": "Home", "url": "https://example.com/shakshuka"}


@pytest.fixture
async def cook(seeded: Account, make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


async def _count(client: httpx.AsyncClient) -> int:
    total: int = (await client.get("/api/v1/recipes/")).json()["total"]
    return total


async def test_create_recipe(client: httpx.AsyncClient, cook: Account) -> None:
    response = await client.post("/api/v1/recipes/", json=GOOD, headers=cook.headers)
    assert response.status_code == 201
    body = response.json()
    assert body["label"] == "Shakshuka"
    assert body["submitter_id"] == cook.id
    stored = await client.get(f"/api/v1/recipes/{body['id']}")
    assert stored.json() == body


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"label": ""}, 422),
        ({"label": "   "}, 422),
        ({"label": "x" * 257}, 422),
        ({"label": "bad\x00label"}, 422),
        ({"url": "not a url"}, 422),
        ({"url": "ftp://example.com/file"}, 422),
        ({"url": "javascript:alert(1)"}, 422),
        ({"url": "https://example.com/" + "a" * 2048}, 422),
        ({"source": "s" * 257}, 422),
        ({"submitter_id": "one"}, 422),
        ({"submitter_id": 2**40}, 422),
        ({"unexpected": "field"}, 422),
    ],
)
async def test_create_bad_input_writes_nothing(
    client: httpx.AsyncClient, cook: Account, change: dict[str, object], status: int
) -> None:
    before = await _count(client)
    response = await client.post("/api/v1/recipes/", json={**GOOD, **change}, headers=cook.headers)
    assert response.status_code == status
    assert response.json()["detail"]
    assert await _count(client) == before


@pytest.mark.parametrize("missing", ["label", "url"])
async def test_create_missing_field(client: httpx.AsyncClient, cook: Account, missing: str) -> None:
    body = {k: v for k, v in GOOD.items() if k != missing}
    response = await client.post("/api/v1/recipes/", json=body, headers=cook.headers)
    assert response.status_code == 422
    assert missing in str(response.json()["detail"])


@pytest.mark.parametrize("content", [b"{not json", b"", b"[]", b'"a string"', b"\xff\xfe"])
async def test_create_body_not_an_object(
    client: httpx.AsyncClient, cook: Account, content: bytes
) -> None:
    before = await _count(client)
    response = await client.post(
        "/api/v1/recipes/",
        content=content,
        headers={**cook.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"]
    assert await _count(client) == before


async def test_superuser_names_an_unknown_submitter(
    client: httpx.AsyncClient, seeded: Account
) -> None:
    before = await _count(client)
    response = await client.post(
        "/api/v1/recipes/", json={**GOOD, "submitter_id": 999}, headers=seeded.headers
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Submitter with ID 999 not found"}
    assert await _count(client) == before


async def test_a_url_at_the_limit_is_stored_in_its_longer_normal_form(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    """2048 characters are allowed; the stored form adds a slash (2049): no 500."""
    cook = await make_account("cook@example.com")
    host = ".".join(["a" * 63] * 40)
    url = ("https://" + host)[:2048].rstrip(".")
    url += "a" * (2048 - len(url))
    response = await client.post(
        "/api/v1/recipes/", json={"label": "Long", "url": url}, headers=cook.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["url"] == url + "/"
