"""The PostgreSQL read costs one statement, one round trip: nothing else goes to the server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event

from recipe_api.db.engine import Database
from tests.conftest import Account

pytestmark = pytest.mark.usefixtures("seeded")


@contextmanager
def statements_sent(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent: through SQLAlchemy, or straight on the driver's connection.

    asyncpg's ``Connection._execute`` (fetch, fetchrow...) and ``execute`` (BEGIN,
    COMMIT, ROLLBACK) carry what is sent on the driver's own connection; what
    SQLAlchemy sends is seen by its ``before_cursor_execute`` event.
    """
    sent: list[str] = []
    for name in ("_execute", "execute"):
        original = getattr(asyncpg.connection.Connection, name)

        monkeypatch.setattr(asyncpg.connection.Connection, name, _counting(original, sent))

    def through_sqlalchemy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    assert db.async_engine is not None
    # The requests' engine and the searches' own (decision 0037).
    engines = [db.async_engine.sync_engine, db._search_engine]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", through_sqlalchemy)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", through_sqlalchemy)


def _counting(original: Any, sent: list[str]) -> Any:
    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    return counted


async def test_a_read_is_one_statement(
    client: httpx.AsyncClient, db: Database, seeded: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.inline:
        pytest.skip("PostgreSQL only: SQLite has no round trips")
    assert (await client.get("/api/v1/recipes/1")).status_code == 200  # the pool warmed
    with statements_sent(db, monkeypatch) as sent:
        for _ in range(5):
            assert (await client.get("/api/v1/recipes/1")).status_code == 200
        assert len(sent) == 5, sent
        assert all(statement.startswith("SELECT") for statement in sent), sent
        # The count sees every statement of a unit of work, as a write's.
        sent.clear()
        edited = await client.patch(
            "/api/v1/recipes/1", json={"label": "V"}, headers=seeded.headers
        )
        assert edited.status_code == 200
        assert any(statement.startswith("BEGIN") for statement in sent), sent
        assert sent[-1].startswith("COMMIT"), sent
        assert any(statement.startswith("UPDATE recipe") for statement in sent), sent


async def test_a_search_sends_only_its_statements(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.inline:
        pytest.skip("PostgreSQL only: SQLite has no round trips")
    # The search's connection opened and its time limit set.
    assert (await client.get("/api/v1/recipes/search/?keyword=onion")).status_code == 200
    with statements_sent(db, monkeypatch) as sent:
        # Other words each time: none answered from the answer cache.
        for word in ("chicken", "garlic", "tomatoes", "chiken"):
            answer = await client.get("/api/v1/recipes/search/", params={"keyword": word})
            assert answer.status_code == 200
        # Its statements, and no BEGIN, SET or COMMIT around them.
        assert sent and all(s.lstrip().startswith(("SELECT", "WITH", "(")) for s in sent), sent
        # A unit with less time sets the connection's limit to it.
        sent.clear()
        assert await db.read_bounded(lambda c: c.exec_driver_sql("SELECT 1").scalar(), 0.25) == 1
        # (What is left of 250 ms, to two significant digits: 240.)
        assert sent == ["SET statement_timeout = 240", "SELECT 1"], sent
