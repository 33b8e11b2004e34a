"""Units of work for tests/db/test_search_process.py, unpickled by name in the search process.

A module of their own, importing little: the child imports it on its first
unit, within the unit's time limit (the test module imports the whole app).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Connection, text

from recipe_api.errors import ServiceBusyError

SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT count(*) FROM (SELECT i FROM n LIMIT 2000000000)",
    "postgresql": "SELECT pg_sleep(30)",
}


def where(connection: Connection, n: int) -> tuple[int, int]:
    """The process that ran the unit, and a count from the database."""
    found = connection.execute(text("SELECT :n + 1"), {"n": n}).scalar_one()
    return os.getpid(), int(found)


def slow(connection: Connection, started: str) -> int:
    Path(started).touch()
    return int(connection.execute(text(SLOW[connection.dialect.name])).scalar_one())


def fails(connection: Connection, kind: str) -> None:
    if kind == "busy":
        raise ServiceBusyError("Busy here", retry_after=7)
    if kind == "value":
        raise ValueError("a bad value")
    raise Unpicklable()


class Unpicklable(Exception):
    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("not this one")


def stuck(connection: Connection, seconds: float) -> None:
    time.sleep(seconds)  # nothing the database's limit stops
