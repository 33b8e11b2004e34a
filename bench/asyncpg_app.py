"""The floor for a PostgreSQL read: raw asyncpg behind a bare ASGI callable.

No framework, no ORM, no validation: one prepared ``SELECT`` of the recipe row
on a pooled asyncpg connection, encoded with orjson. Served by the same uvicorn
(httptools, uvloop) as Recipe API, so the gap between the two rows of the
PostgreSQL table is what our database path and FastAPI cost on top.

It reads what ``GET /api/v1/recipes/{id}`` reads for an anonymous client: every
column of the recipe table (named from ``recipe_table``, so a new column is read
by both), and only a public recipe (``NOT private``: our read hides private
recipes from anyone but their cook). Until 2026-12-07 it read the tutorial's 7
columns with no ``private`` test, a lighter row than ours (decision 0031).
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import orjson

from recipe_api.recipes.models import recipe_table

QUERY = (
    f"SELECT {', '.join(column.name for column in recipe_table.columns)} "
    f"FROM {recipe_table.name} WHERE id = $1 AND NOT private"
)
PREFIX = "/api/v1/recipes/"
_pool: list[asyncpg.Pool] = []


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
            _pool.append(await asyncpg.create_pool(url, min_size=2, max_size=10))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await _pool[0].close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path: str = scope["path"]
    if not (path.startswith(PREFIX) and path[len(PREFIX) :].isdigit()):
        await _answer(send, 404, b'{"detail":"Not Found"}')
        return
    row = await _pool[0].fetchrow(QUERY, int(path[len(PREFIX) :]))
    if row is None:
        await _answer(send, 404, b'{"detail":"Recipe not found"}')
        return
    await _answer(send, 200, orjson.dumps(dict(row)))
