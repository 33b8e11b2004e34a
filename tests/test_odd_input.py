"""No input is a 500: what the database cannot store and numbers out of range are 4xx.

Every shape goes through the real parsing (JSON bodies, form bodies, query
strings, paths) on both databases, and the 422 it gets must itself be valid
JSON in FastAPI's shape.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account, MakeAccount

NUL = r"nul\u0000here"
SURROGATE = r"lone\ud800surrogate"
BAD_STRINGS = [NUL, SURROGATE, r"\udfff"]


def _json_body(fields: dict[str, str]) -> bytes:
    """A JSON object whose values are written as raw JSON (escapes kept as sent)."""
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}").encode()


def _assert_422(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert {"loc", "msg", "type"} <= detail[0].keys()


@pytest.fixture
async def cook(make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


@pytest.mark.parametrize("bad", BAD_STRINGS)
@pytest.mark.parametrize("field", ["email", "password", "first_name", "surname"])
async def test_signup_strings(client: httpx.AsyncClient, field: str, bad: str) -> None:
    fields = {
        "email": '"new@example.com"',
        "password": '"long enough password"',
        "first_name": '"Ada"',
        "surname": '"Cook"',
    }
    fields[field] = f'"{bad}"' if field != "email" else f'"{bad}@example.com"'
    response = await client.post(
        "/api/v1/auth/signup",
        content=_json_body(fields),
        headers={"content-type": "application/json"},
    )
    _assert_422(response)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *[(field, bad) for field in ("label", "source") for bad in BAD_STRINGS],
        # A URL's NUL is percent-encoded by the URL parser (see below); a lone
        # surrogate cannot be encoded at all.
        ("url", SURROGATE),
        ("url", r"\udfff"),
    ],
)
async def test_recipe_strings(
    client: httpx.AsyncClient, cook: Account, field: str, bad: str
) -> None:
    fields = {"label": '"Bread"', "source": '"Home"', "url": '"https://example.com/bread"'}
    fields[field] = f'"https://example.com/{bad}"' if field == "url" else f'"{bad}"'
    headers = {**cook.headers, "content-type": "application/json"}
    created = await client.post("/api/v1/recipes/", content=_json_body(fields), headers=headers)
    _assert_422(created)
    ok = await client.post(
        "/api/v1/recipes/",
        json={"label": "Bread", "url": "https://example.com/bread"},
        headers=cook.headers,
    )
    rid = ok.json()["id"]
    patched = await client.patch(
        f"/api/v1/recipes/{rid}", content=_json_body({field: fields[field]}), headers=headers
    )
    _assert_422(patched)
    assert (await client.get(f"/api/v1/recipes/{rid}")).json() == ok.json()


async def test_nul_in_a_url_is_stored_percent_encoded(
    client: httpx.AsyncClient, cook: Account
) -> None:
    body = _json_body({"label": '"Bread"', "url": f'"https://example.com/{NUL}"'})
    response = await client.post(
        "/api/v1/recipes/",
        content=body,
        headers={**cook.headers, "content-type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["url"] == "https://example.com/nul%00here"
    assert (await client.get(f"/api/v1/recipes/{response.json()['id']}")).json() == response.json()


@pytest.mark.parametrize(
    "number", ["1e309", "-1e309", "1e400", "2147483648", "9" * 60, "-1", "0", "1.5"]
)
async def test_numbers_out_of_range(client: httpx.AsyncClient, cook: Account, number: str) -> None:
    body = _json_body(
        {"label": '"Bread"', "url": '"https://example.com/b"', "submitter_id": number}
    )
    response = await client.post(
        "/api/v1/recipes/",
        content=body,
        headers={**cook.headers, "content-type": "application/json"},
    )
    _assert_422(response)


async def test_integer_too_long_to_parse_is_4xx(client: httpx.AsyncClient, cook: Account) -> None:
    # Python refuses to read an integer of more than 4300 digits: FastAPI calls
    # that an unreadable body (400), which is still the client's error.
    body = _json_body({"label": '"B"', "url": '"https://e.com"', "submitter_id": "9" * 5000})
    response = await client.post(
        "/api/v1/recipes/",
        content=body,
        headers={**cook.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/recipes/?skip=1e309",
        "/api/v1/recipes/?skip=2147483648",
        "/api/v1/recipes/?skip=" + "9" * 5000,
        "/api/v1/recipes/?limit=-1",
        "/api/v1/recipes/search/?max_results=1e309",
        "/api/v1/recipes/search/?keyword=ab%00c",
        "/api/v1/recipes/2147483648",
        "/api/v1/recipes/" + "9" * 5000,
        "/api/v1/recipes/1e309",
    ],
)
async def test_query_strings_and_paths(client: httpx.AsyncClient, path: str) -> None:
    _assert_422(await client.get(path))


async def test_invalid_utf8_in_a_query_string_is_not_an_error(client: httpx.AsyncClient) -> None:
    # Percent-decoding replaces a lone surrogate's bytes with U+FFFD: a harmless search.
    response = await client.get("/api/v1/recipes/search/?keyword=%ED%A0%80abc")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "content",
    [
        b"username=nul%00%40example.com&password=whatever+password",
        b"username=cook%40example.com&password=nul%00password",
        b"username=%ED%A0%80%40example.com&password=%ED%A0%80%ED%A0%80",
        b"username=%FF%FE&password=%FF%FE%FF%FE",
    ],
)
async def test_login_forms(client: httpx.AsyncClient, cook: Account, content: bytes) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=content,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password"}


async def test_multipart_login_with_invalid_utf8(client: httpx.AsyncClient, cook: Account) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        files={"username": (None, b"\xed\xa0\x80@example.com"), "password": (None, b"\xff\xfe")},
    )
    assert response.status_code == 401
