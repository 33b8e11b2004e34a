"""The FastAPI dependency on the app's :class:`~recipe_api.db.engine.Database`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from recipe_api.db.engine import Database


async def get_database(request: Request) -> Database:
    # async: FastAPI would run a plain ``def`` in a worker thread.
    database: Database = request.app.state.db
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
