"""Password hashing (Argon2 through pwdlib), access tokens (PyJWT, HS256), the secret key."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from recipe_api.settings import Settings

log = logging.getLogger(__name__)

ALGORITHM = "HS256"


class Passwords:
    """Hashes and verifies passwords; a hash made with older parameters is renewed on login."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hash = PasswordHash(
            (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )

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
        claims = {"sub": str(user_id), "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self.secret_key, algorithm=ALGORITHM)

    def user_id(self, token: str) -> int | None:
        """The user id a valid token names; None for any token that is not valid."""
        try:
            claims = jwt.decode(
                token, self.secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
            )
        except jwt.PyJWTError:
            return None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.isdigit() or len(subject) > 10:
            return None
        return int(subject)


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
