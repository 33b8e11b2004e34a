"""Answers built from many recipes, kept while the recipes stay as they were.

The database keeps a version number of the recipes (``recipe_version``,
bumped by triggers on every insert, update and delete: migration 0007). A
worker reads it with one cheap query per request and serves what it built
at that version; any write, by any worker or command, makes every worker
build afresh. Each worker has its own cache (nothing is shared but the
number), bounded in bytes, dropped whole when the version moves.

Why not a library: ``cachetools``, ``aiocache`` and ``fastapi-cache2`` expire
entries by time or size; none knows "valid while this number holds", which
here is the whole rule, and a dict does the rest (see
``docs/decisions/0008-benchmark-yardstick.md``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import select

from recipe_api.db.engine import Database
from recipe_api.http.conditional import etag_of
from recipe_api.recipes.models import recipe_version_table

_VERSION = select(recipe_version_table.c.version).where(recipe_version_table.c.id == 1)


async def recipes_version(db: Database) -> int:
    """The recipes' version: read it before the rows an answer is built from.

    A write landing between the two then leaves newer rows under an older
    version, which the next request sees as stale: never the other way round.
    """
    row = await db.read_row(_VERSION)
    assert row is not None  # migration 0007 inserts it
    return int(row["version"])


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Cached:
        return cls(body=body, etag=etag_of(body))


class VersionedCache:
    """Answers by key, all of one recipes version; the whole lot goes when it moves."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._version: int | None = None
        self._entries: dict[Hashable, Cached] = {}
        self._bytes = 0

    @property
    def off(self) -> bool:
        """Nothing is ever kept (``ANSWER_CACHE_MB=0``): no version is worth reading."""
        return self.max_bytes <= 0

    def get(self, version: int, key: Hashable) -> Cached | None:
        if version != self._version:
            self._entries.clear()
            self._bytes = 0
            self._version = version
            return None
        return self._entries.get(key)

    def put(self, version: int, key: Hashable, value: Cached) -> None:
        # An answer built at an older version than the cache's is already stale.
        if version != self._version or len(value.body) > self.max_bytes // 8:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        while self._entries and self._bytes + len(value.body) > self.max_bytes:
            oldest = next(iter(self._entries))
            self._bytes -= len(self._entries.pop(oldest).body)
        self._entries[key] = value
        self._bytes += len(value.body)

    def __len__(self) -> int:
        return len(self._entries)


async def cached_answer(
    db: Database, cache: VersionedCache, key: Hashable, build: Callable[[], Awaitable[bytes]]
) -> Cached:
    """The answer ``key`` names at the current recipes version: kept, or built and kept.

    With the cache off (``ANSWER_CACHE_MB=0``), built every time: the version,
    a round trip to the database, is not read for nothing (twice a search page).
    """
    if cache.off:
        return Cached.of(await build())
    version = await recipes_version(db)
    found = cache.get(version, key)
    if found is None:
        found = Cached.of(await build())
        cache.put(version, key, found)
    return found
