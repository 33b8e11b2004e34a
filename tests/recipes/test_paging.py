"""Cursor pages, the bounded skip, and the kept count, on both backends."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Connection, text

from recipe_api.db.engine import Database
from recipe_api.recipes.repository import add_recipe, delete_recipe
from recipe_api.recipes.service import Cursor, cursor_key
from recipe_api.users.repository import get_user_by_email

pytestmark = pytest.mark.usefixtures("seeded")
LIST = "/api/v1/recipes/"


async def _add(db: Database, label: str) -> int:
    def work(connection: Connection) -> int:
        admin = get_user_by_email(connection, "admin@recipeapi.com")
        assert admin is not None
        return int(add_recipe(connection, label=label, submitter_id=admin["id"])["id"])

    return await db.run(work)


async def _walk(client: httpx.AsyncClient, first: str) -> list[int]:
    seen: list[int] = []
    url: str | None = first
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        url = response.json()["next"]
    return seen


async def test_cursor_walks_every_recipe_once_newest_first(
    client: httpx.AsyncClient, db: Database
) -> None:
    ids = [1, 2, 3] + [await _add(db, f"Dish {n}") for n in range(8)]
    assert await _walk(client, f"{LIST}?limit=3") == sorted(ids, reverse=True)


async def test_cursor_pages_are_stable_across_inserts_and_deletes(
    client: httpx.AsyncClient, db: Database
) -> None:
    older = [await _add(db, f"Dish {n}") for n in range(6)]
    first = (await client.get(LIST, params={"limit": 4})).json()
    assert [i["id"] for i in first["items"]] == [older[5], older[4], older[3], older[2]]
    # New recipes land before the first page; a deleted one drops out; no repeats, no gaps.
    await _add(db, "Newer")

    def remove(connection: Connection) -> None:
        delete_recipe(connection, older[2])  # the very row the cursor names

    await db.run(remove)
    rest = await _walk(client, first["next"])
    assert rest == [older[1], older[0], 3, 2, 1]


async def test_total_is_kept_without_counting(client: httpx.AsyncClient, db: Database) -> None:
    assert (await client.get(LIST)).json()["total"] == 3
    await _add(db, "One more")
    assert (await client.get(LIST)).json()["total"] == 4

    def counter(connection: Connection) -> int:
        return int(connection.execute(text("SELECT recipes FROM recipe_count")).scalar_one())

    assert await db.run(counter) == 4


async def test_last_page_has_no_next(client: httpx.AsyncClient) -> None:
    body = (await client.get(LIST, params={"limit": 5})).json()
    assert len(body["items"]) == 3
    assert body["next"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"skip": 10_001},
        {"cursor": "not base64 json"},
        {"cursor": "bm90IGpzb24"},
        {"cursor": "WyJ4IiwgIjIwMjYiXQ"},
        {"cursor": "x" * 201},
    ],
)
async def test_bad_paging_is_4xx(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get(LIST, params=params)  # type: ignore[arg-type]
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


async def test_skip_and_cursor_together_are_refused(client: httpx.AsyncClient) -> None:
    token = (await client.get(LIST, params={"limit": 1})).json()["next"].split("cursor=")[1]
    response = await client.get(LIST, params={"skip": 1, "cursor": token})
    assert response.status_code == 400
    assert "either" in response.json()["detail"]


def _unsigned(value: object) -> str:
    """A cursor as a client could make one: the JSON the service's cursors once were."""
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGED = [
    [3_000_000_000, "2020-01-01"],  # past PostgreSQL's integer
    [10**30, "2020-01-01"],  # past any integer a driver binds
    [-1, "2020-01-01"],
    [1, "0001-01-01T00:00:00"],  # year 1: nothing sorts before it
    [1, "9999-12-31T23:59:59.999999+00:00"],
    [1, "2020-01-01T00:00:00-23:59"],
    [1.5, "2020-01-01"],
    [True, "2020-01-01"],
    [1, "2020-13-01"],
    [1, 2020],
    [1, "2020-01-01", "extra"],
    {"after_id": 1},
    "just a string",
    None,
]


@pytest.mark.parametrize("forged", FORGED, ids=lambda value: json.dumps(value)[:40])
async def test_a_cursor_the_service_did_not_give_out_is_400(
    client: httpx.AsyncClient, forged: object
) -> None:
    response = await client.get(LIST, params={"cursor": _unsigned(forged)})
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "The cursor is not one this service gave out"}


async def test_an_edited_or_foreign_cursor_is_400(client: httpx.AsyncClient) -> None:
    given = (await client.get(LIST, params={"limit": 1})).json()["next"].split("cursor=")[1]
    assert (await client.get(LIST, params={"cursor": given})).status_code == 200
    raw = bytearray(base64.urlsafe_b64decode(given + "=" * (-len(given) % 4)))
    for position in (0, len(raw) // 2, len(raw) - 1):
        edited = bytearray(raw)
        edited[position] ^= 1
        token = base64.urlsafe_b64encode(bytes(edited)).decode().rstrip("=")
        response = await client.get(LIST, params={"cursor": token})
        assert response.status_code == 400, position
    # The same place, signed with another service's secret.
    foreign = Cursor(after_id=1, after_created_at=datetime.now(UTC)).encode(cursor_key("x" * 40))
    assert (await client.get(LIST, params={"cursor": foreign})).status_code == 400


@pytest.mark.parametrize("value", ["3000000000", "-1", "0", "99999999999999999999999", "1e3", "x"])
async def test_forged_home_page_cursors_are_4xx(client: httpx.AsyncClient, value: str) -> None:
    for name in ("older", "newer"):
        response = await client.get("/", params={name: value})
        assert response.status_code == 422, (name, value, response.text)
        json_answer = await client.get(
            "/", params={name: value}, headers={"accept": "application/json"}
        )
        assert json_answer.status_code == 422
        assert json_answer.json()["detail"]
