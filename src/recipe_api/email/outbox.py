"""The sender: delivers the outbox's due emails, retrying with back-off, in every worker.

Each worker runs one :class:`OutboxSender` (started and stopped by the app's
lifespan). It claims a batch of due rows (see ``repository.claim_due`` for why
two senders never hold the same row), delivers each, and marks it sent under
its claim. A failed delivery is due again after a back-off that doubles per
try (with jitter, so a recovering SMTP server is not hit by every worker in the
same second); after ``max_attempts`` tries the row is ``failed`` and stays
visible in ``recipe-api outbox list`` until ``recipe-api outbox retry``.

Delivery is at least once: were a worker to die after the SMTP server took an
email and before the row was marked sent, the row comes due again when its
lease ends and is sent a second time, with the same Message-ID.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Connection, RowMapping

from recipe_api import observability
from recipe_api.background import Poller
from recipe_api.db.engine import Database
from recipe_api.email import repository
from recipe_api.email.messages import Message
from recipe_api.email.sender import Transport, build_message
from recipe_api.settings import Settings

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# Composes, inside the claim's transaction, an email that is written when due
# (a password reset: whether the account exists is decided then, not in the request).
Composer = Callable[[Connection, RowMapping, datetime], Message | None]


@dataclass(frozen=True)
class SenderOptions:
    poll_seconds: float = 2.0
    retry_seconds: float = 10.0
    max_attempts: int = 8
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderOptions:
        return cls(
            poll_seconds=settings.outbox_poll_seconds,
            retry_seconds=settings.outbox_retry_seconds,
            max_attempts=settings.outbox_max_attempts,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )


def backoff(attempts: int, first: float) -> timedelta:
    """After the ``attempts``-th failed try: ``first`` doubling, at most an hour, ±20 %."""
    seconds = min(first * 2 ** max(0, attempts - 1), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


class OutboxSender(Poller):
    name = "outbox-sender"

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        sender: str,
        options: SenderOptions,
        composers: Mapping[str, Composer] | None = None,
        domain: str = "recipeapi.local",
    ) -> None:
        self.db = db
        self.transport = transport
        self.sender = sender
        self.options = options
        self.composers = dict(composers or {})
        self.domain = domain
        self.poll_seconds = options.poll_seconds
        super().__init__()

    async def run_once(self) -> int:
        """Claims one batch of due emails and delivers it; returns how many were claimed."""
        claim = secrets.token_hex(16)
        now = datetime.now(UTC)
        rows = await self.db.run(
            repository.claim_due,
            claim=claim,
            now=now,
            lease=self.options.lease,
            limit=self.options.batch,
        )
        for row in rows:
            await self._deliver(row, claim)
        return len(rows)

    async def _deliver(self, row: RowMapping, claim: str) -> None:
        email_id = int(row["id"])
        try:
            message = await self._message(row, claim)
            if message is None:
                return
            email = build_message(
                message,
                sender=self.sender,
                recipient=row["recipient"],
                email_id=email_id,
                created_at=row["created_at"],
                domain=self.domain,
            )
            await self.transport.send(email)
        except Exception as exc:
            await self._failed(row, claim, exc)
            return
        await self.db.run(repository.mark_sent, email_id, claim, datetime.now(UTC))
        observability.email_outcome("sent")
        log.debug("Email %s (%s) sent to %s", email_id, row["kind"], row["recipient"])

    async def _message(self, row: RowMapping, claim: str) -> Message | None:
        if row["text_body"] or row["kind"] not in self.composers:
            return Message(row["subject"], row["text_body"], row["html_body"])
        compose = self.composers[row["kind"]]

        def compose_and_keep(connection: Connection) -> Message | None:
            message = compose(connection, row, datetime.now(UTC))
            if message is None:
                repository.mark_dropped(connection, int(row["id"]), claim)
                observability.email_outcome("dropped")
            else:
                repository.set_message(connection, int(row["id"]), claim, message)
            return message

        return await self.db.run(compose_and_keep)

    async def _failed(self, row: RowMapping, claim: str, exc: Exception) -> None:
        attempts = int(row["attempts"])
        error = f"{type(exc).__name__}: {exc}"
        give_up = attempts >= self.options.max_attempts
        observability.email_outcome("failed" if give_up else "retry")
        retry_at = (
            None if give_up else datetime.now(UTC) + backoff(attempts, self.options.retry_seconds)
        )
        log.log(
            logging.ERROR if give_up else logging.WARNING,
            "Email %s to %s: try %s of %s failed (%s)%s",
            row["id"],
            row["recipient"],
            attempts,
            self.options.max_attempts,
            error,
            "; giving up (recipe-api outbox retry)" if give_up else "",
        )
        try:
            await self.db.run(
                repository.mark_attempt_failed,
                int(row["id"]),
                claim,
                error=error,
                retry_at=retry_at,
            )
        except Exception as db_exc:  # the lease brings the row back anyway
            log.warning("Could not record the failed try of email %s: %s", row["id"], db_exc)


def message_domain(base_url: str) -> str:
    return urlsplit(base_url).hostname or "recipeapi.local"
