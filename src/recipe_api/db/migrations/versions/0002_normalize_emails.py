"""Store every email in its one normal form (NFKC, then case folding, no surrounding space).

Before this revision emails were only lower-cased, so ``cook@example.com``
spelt in fullwidth letters and ``cook@example.com`` itself could be two
accounts. The application now normalises every address where it enters;
this brings existing rows to the same form.

Two existing rows that become the same address would break the unique index
and leave one account unreachable, and merging accounts (whose recipes? whose
password?) is a decision for a person. So the migration refuses instead: it
changes nothing, fails, and names every colliding group by id and email.
Resolve them by hand (rename or delete one account of each group) and run
``recipe-api db upgrade`` again.

The normalisation is written out here rather than imported, so this revision
keeps doing what it did when it was written.

Downgrade does nothing: the original spellings are not kept, and the
normalised form is a valid email under revision 0001 too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_user = sa.table("user", sa.column("id", sa.Integer), sa.column("email", sa.String))


def _normalize(email: str) -> str:
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_user.c.id, _user.c.email).order_by(_user.c.id)).all()
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for user_id, email in rows:
        groups[_normalize(email)].append((user_id, email))
    collisions = {normal: group for normal, group in groups.items() if len(group) > 1}
    if collisions:
        listing = "; ".join(
            f"{normal}: " + ", ".join(f"id {user_id} ({email})" for user_id, email in group)
            for normal, group in sorted(collisions.items())
        )
        raise RuntimeError(
            f"{len(collisions)} email(s) would belong to more than one account once normalised; "
            f"nothing was changed. Rename or delete all but one account of each, then upgrade "
            f"again: {listing}"
        )
    update = (
        sa.update(_user)
        .where(_user.c.id == sa.bindparam("row_id"))
        .values(email=sa.bindparam("new"))
    )
    changed = [
        {"row_id": user_id, "new": normal}
        for normal, [(user_id, email)] in groups.items()
        if normal != email
    ]
    if changed:
        connection.execute(update, changed)


def downgrade() -> None:
    pass
