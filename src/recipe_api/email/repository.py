"""Queries on the outbox. No function here commits: ``Database.run`` does.

Claiming takes due rows, pushes their ``next_attempt_at`` past a lease and
stamps them with a fresh ``claim``, in one transaction, so no other sender
sees them as due until the lease runs out (a sender that died mid-send gives
its rows back that way). On PostgreSQL the rows are picked with ``FOR UPDATE
SKIP LOCKED``, so two senders claiming at once take different rows without
waiting for each other. SQLite has no row locks (the clause is left out) but
lets one writer at a time change the file, and the claiming ``UPDATE`` checks
again that each row is still due: of two senders that picked the same row,
the second one's ``UPDATE`` runs after the first committed and claims nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from recipe_api.db.base import delete_batch
from recipe_api.email.messages import Message
from recipe_api.email.models import DROPPED, FAILED, PENDING, SENT, email_outbox_table

_o = email_outbox_table.c


def enqueue(
    connection: Connection,
    *,
    kind: str,
    recipient: str,
    message: Message | None,
    now: datetime,
) -> int:
    """A pending email; without ``message`` the sender composes it when it is due."""
    statement = (
        insert(email_outbox_table)
        .values(
            kind=kind,
            recipient=recipient,
            subject=message.subject if message else "",
            text_body=message.text if message else "",
            html_body=message.html if message else "",
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
        )
        .returning(_o.id)
    )
    return int(connection.execute(statement).scalar_one())


def claim_due(
    connection: Connection, *, claim: str, now: datetime, lease: timedelta, limit: int
) -> list[RowMapping]:
    # Two statements, not ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP
    # LOCKED)``: PostgreSQL may run such a subquery again per row and so ignore the
    # limit (measured: one sender took all 50 due rows with a limit of 4).
    due = (
        select(_o.id)
        .where(_o.status == PENDING, _o.next_attempt_at <= now)
        .order_by(_o.next_attempt_at, _o.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(connection.execute(due).scalars())
    if not ids:
        return []
    # The conditions again: on SQLite the select took no lock, and a row another
    # sender claimed meanwhile is no longer due.
    statement = (
        update(email_outbox_table)
        .where(_o.id.in_(ids), _o.status == PENDING, _o.next_attempt_at <= now)
        .values(claim=claim, next_attempt_at=now + lease, attempts=_o.attempts + 1)
        .returning(*email_outbox_table.c)
    )
    rows = connection.execute(statement).mappings().all()
    return sorted(rows, key=lambda row: int(row["id"]))


def _held(email_id: int, claim: str) -> list[object]:
    return [_o.id == email_id, _o.claim == claim, _o.status == PENDING]


def set_message(connection: Connection, email_id: int, claim: str, message: Message) -> bool:
    """Keeps a composed message on the row, so a retry sends the same one."""
    statement = (
        update(email_outbox_table)
        .where(*_held(email_id, claim))  # type: ignore[arg-type]
        .values(subject=message.subject, text_body=message.text, html_body=message.html)
    )
    return connection.execute(statement).rowcount > 0


def mark_sent(connection: Connection, email_id: int, claim: str, now: datetime) -> bool:
    """Sent; the bodies go, so the links they held (live tokens) leave the database."""
    statement = (
        update(email_outbox_table)
        .where(*_held(email_id, claim))  # type: ignore[arg-type]
        .values(status=SENT, sent_at=now, claim=None, last_error=None, text_body="", html_body="")
    )
    return connection.execute(statement).rowcount > 0


def mark_dropped(connection: Connection, email_id: int, claim: str) -> bool:
    statement = (
        update(email_outbox_table)
        .where(*_held(email_id, claim))  # type: ignore[arg-type]
        .values(status=DROPPED, claim=None)
    )
    return connection.execute(statement).rowcount > 0


def mark_attempt_failed(
    connection: Connection,
    email_id: int,
    claim: str,
    *,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Due again at ``retry_at``; with None, failed for good (until ``retry``)."""
    values: dict[str, object] = {"claim": None, "last_error": error[:2000]}
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    statement = (
        update(email_outbox_table)
        .where(*_held(email_id, claim))  # type: ignore[arg-type]
        .values(**values)
    )
    return connection.execute(statement).rowcount > 0


def list_emails(
    connection: Connection, *, status: str | None = None, limit: int = 50
) -> Sequence[RowMapping]:
    statement = select(
        _o.id,
        _o.kind,
        _o.recipient,
        _o.subject,
        _o.status,
        _o.attempts,
        _o.next_attempt_at,
        _o.last_error,
        _o.created_at,
        _o.sent_at,
    )
    if status is not None:
        statement = statement.where(_o.status == status)
    return connection.execute(statement.order_by(_o.id.desc()).limit(limit)).mappings().all()


def count_by_status(connection: Connection) -> dict[str, int]:
    statement = select(_o.status, func.count()).group_by(_o.status)
    return {str(status): int(count) for status, count in connection.execute(statement)}


def failed_ids(connection: Connection, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` that are failed emails (what ``retry_failed`` would retry)."""
    found = select(_o.id).where(_o.status == FAILED, _o.id.in_(list(ids)))
    return set(connection.scalars(found))


def retry_failed(connection: Connection, ids: Sequence[int] | None, now: datetime) -> int:
    """Failed rows (all, or those of ``ids``) become due now with a fresh count of tries."""
    statement = (
        update(email_outbox_table)
        .where(_o.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None, claim=None)
    )
    if ids is not None:
        statement = statement.where(_o.id.in_(list(ids)))
    return connection.execute(statement).rowcount


def delete_finished_batch(
    connection: Connection, *, status: str, before: datetime, limit: int
) -> int:
    """Deletes up to ``limit`` rows ``sent`` (or ``dropped``) before ``before``.

    Failed rows are never deleted here: they wait for ``retry`` or an operator.
    The rows are found through ``ix_email_outbox_due`` (status, next_attempt_at):
    a finished row's ``next_attempt_at`` is where its last claim's lease ended,
    and it was sent or dropped under that claim, so nearly always before it. For
    a sent row ``sent_at`` decides; the index only bounds the rows read (those
    read and kept are the few sent after their lease ran out, and a row sent
    within its lease stays at most one lease past the cutoff).
    """
    finished = [_o.status == status, _o.next_attempt_at < before]
    if status == SENT:
        finished.append(_o.sent_at < before)
    elif status != DROPPED:
        raise ValueError(f"only sent or dropped emails are deleted, not {status!r}")
    return delete_batch(connection, email_outbox_table, finished, _o.next_attempt_at, limit)


__all__ = ["DROPPED", "FAILED", "PENDING", "SENT"]
