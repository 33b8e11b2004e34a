"""Password hashing (Argon2 through pwdlib), access tokens (PyJWT, HS256), the secret key."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import jwt
from anyio import to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from recipe_api.errors import ServiceBusyError
from recipe_api.schemas import MAX_ID
from recipe_api.settings import Settings

log = logging.getLogger(__name__)
_T = TypeVar("_T")

ALGORITHM = "HS256"
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")


class Passwords:
    """Hashes and verifies passwords; a hash made with older parameters is renewed on login.

    ``hash_async`` and ``verify_async`` run Argon2 off the event loop, at most
    ``concurrency`` at once: each one holds ``memory_kib`` and a core, so a
    burst of signups would otherwise take the worker's memory and every
    request's CPU. The rest wait their turn up to ``wait_seconds``, then get
    ``ServiceBusyError`` (503 with ``Retry-After``).
    """

    def __init__(
        self,
        *,
        time_cost: int,
        memory_kib: int,
        parallelism: int,
        concurrency: int | None = None,
        wait_seconds: float = 5.0,
    ) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )
        self.concurrency = concurrency or os.cpu_count() or 1
        self.wait_seconds = wait_seconds
        self._slots = asyncio.Semaphore(self.concurrency)

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            concurrency=settings.hash_concurrency,
            wait_seconds=settings.hash_wait_seconds,
        )

    async def _in_slot(self, work: Callable[[], _T]) -> _T:
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
        except TimeoutError:
            raise ServiceBusyError(
                "Too many password checks at once; try again shortly",
                retry_after=max(1, math.ceil(self.wait_seconds)),
            ) from None
        try:
            return await to_thread.run_sync(work)
        finally:
            self._slots.release()

    async def hash_async(self, password: str) -> str:
        return await self._in_slot(lambda: self.hash(password))

    async def verify_async(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        return await self._in_slot(lambda: self.verify(password, hashed))

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hash.hash(secrets.token_urlsafe(16))

    def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """``(valid, new_hash_or_None)``; with no hash, spends the same time and fails.

        Checking a dummy hash for unknown users keeps a wrong email from
        answering faster than a wrong password.
        """
        if hashed is None:
            self._hash.verify_and_update(password, self._dummy_hash)
            return False, None
        try:
            return self._hash.verify_and_update(password, hashed)
        except Exception:  # a malformed stored hash must not become a 500
            log.warning("Stored password hash could not be read; treating as a mismatch")
            return False, None


@dataclass(frozen=True)
class Tokens:
    secret_key: str
    lifetime: timedelta

    def issue(self, user_id: int) -> str:
        now = datetime.now(UTC)
        # ``iat`` to the microsecond (a NumericDate may have a fraction): a token
        # issued a moment after a password change is not mistaken for an older one.
        claims = {"sub": str(user_id), "iat": now.timestamp(), "exp": now + self.lifetime}
        return jwt.encode(claims, self.secret_key, algorithm=ALGORITHM)

    def user_id(self, token: str) -> int | None:
        """The user id a valid token names; None for any token that is not valid."""
        found = self.subject(token)
        return None if found is None else found[0]

    def subject(self, token: str) -> tuple[int, float | None] | None:
        """``(user id, issued at)`` of a valid token; None for any token that is not valid."""
        try:
            claims = jwt.decode(
                token, self.secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
            )
        except jwt.PyJWTError:
            return None
        subject = claims.get("sub")
        # ASCII digits only (``str.isdigit`` accepts "²", which ``int`` refuses),
        # and no larger than the id column holds.
        if not isinstance(subject, str) or not _USER_ID.fullmatch(subject):
            return None
        user_id = int(subject)
        if user_id > MAX_ID:
            return None
        issued = claims.get("iat")
        return user_id, float(issued) if isinstance(issued, int | float) else None


def load_secret_key(settings: Settings) -> str:
    """The configured key; in development, one generated once and kept in a file.

    Production never gets here without a strong key: ``Settings`` refuses it.
    """
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.secret_key_file
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when several workers start at once, the first one's key wins.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    log.info("Generated a development SECRET_KEY in %s", path)
    return key
