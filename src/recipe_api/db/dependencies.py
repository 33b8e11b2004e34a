"""The FastAPI dependency on the app's :class:`~recipe_api.db.engine.Database`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from recipe_api.db.engine import Database
from recipe_api.state import request_state


async def get_database(request: Request) -> Database:
    # async: FastAPI would run a plain ``def`` in a worker thread.
    return request_state(request).db


DatabaseDep = Annotated[Database, Depends(get_database)]
