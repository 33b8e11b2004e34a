"""PostgreSQL: the ``prioritize`` extension, where the server has it and we may create it.

See ``docs/decisions/0037-postgresql-searches-in-threads.md``. A worker's
search connections lower their own backends' priority with the extension's
``set_backend_priority`` (``SEARCH_THREAD_NICENESS``), as SQLite's search
threads lower theirs: a read then takes a core from a busy search.

The extension is not part of PostgreSQL: it is packaged as
``postgresql-NN-prioritize``, and only a superuser may create it. Where it is
not installed, or the migrating role may not create it, nothing is done and
the searches run at the reads' priority, as before.

SQLite: nothing.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy import text

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

_CAN_CREATE = text(
    "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'prioritize')"
    " AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    if bind.execute(_CAN_CREATE).scalar():
        op.execute("CREATE EXTENSION IF NOT EXISTS prioritize")
    else:
        log.info(
            "PostgreSQL's prioritize extension is not installed or may not be created here:"
            " searches run at the reads' priority"
        )


def downgrade() -> None:
    # Nothing: the extension holds no data, and may have been created by hand.
    pass
