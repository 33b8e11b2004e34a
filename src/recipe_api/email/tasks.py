"""The outbox's housekeeping, run by ``db/prune.py``'s scheduler.

Outbox rows ``sent`` more than ``PRUNE_SENT_EMAIL_DAYS`` ago go, and
``dropped`` ones (reset requests for no account) as old. ``failed`` emails
stay until an operator retries (``recipe-api outbox retry``) or purges them;
``pending`` ones are still owed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection

from recipe_api.db.prune import BatchDelete, PruneTask
from recipe_api.email import repository
from recipe_api.email.models import DROPPED, SENT


def _old_emails(status: str, retention: timedelta) -> BatchDelete:
    def delete_batch(connection: Connection, now: datetime, limit: int) -> int:
        return repository.delete_finished_batch(
            connection, status=status, before=now - retention, limit=limit
        )

    return delete_batch


def prune_tasks(retention: timedelta) -> tuple[PruneTask, ...]:
    return (
        PruneTask("sent_emails", "sent email(s)", _old_emails(SENT, retention)),
        PruneTask("dropped_emails", "dropped email(s)", _old_emails(DROPPED, retention)),
    )
