"""Keep each email as typed; find accounts by a key (ASCII case folded) instead.

Revision 0002 stored every address NFKC-normalised and case-folded, which
rewrote some into other mailboxes (``straße@`` became ``strasse@``, ``ﬁsh@``
became ``fish@``) and sent their emails there. From this revision ``email``
is the address as typed (the domain normalised) and the new ``email_key``,
the address with the ASCII letters before the @ lower-cased, carries the
unique index and is what a log-in looks up (see ``email_address``).

Upgrade: every stored email is already in 0002's form, which has no ASCII
capital, so its key is the email itself; the spellings 0002 replaced are not
kept anywhere and cannot come back. The unique index moves from ``email`` to
``email_key``.

Downgrade: back to 0002's form (written out here, as in 0002, so this
revision keeps doing what it did when it was written). Two accounts that
would then share an address (``straße@`` and ``strasse@``, both legal since
this revision) would break the unique index; as 0002 does, the downgrade then
changes nothing, fails and names them, to be resolved by hand.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_user = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("email_key", sa.String(length=320), nullable=True))
    op.execute(sa.update(_user).values(email_key=_user.c.email))
    with op.batch_alter_table("user") as batch:
        batch.alter_column("email_key", existing_type=sa.String(length=320), nullable=False)
        batch.drop_index("ix_user_email")
        batch.create_index("ix_user_email_key", ["email_key"], unique=True)


def _normalize_0002(email: str) -> str:
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_user.c.id, _user.c.email).order_by(_user.c.id)).all()
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for user_id, email in rows:
        groups[_normalize_0002(email)].append((user_id, email))
    collisions = {normal: group for normal, group in groups.items() if len(group) > 1}
    if collisions:
        listing = "; ".join(
            f"{normal}: " + ", ".join(f"id {user_id} ({email})" for user_id, email in group)
            for normal, group in sorted(collisions.items())
        )
        raise RuntimeError(
            f"{len(collisions)} email(s) would belong to more than one account in revision "
            f"0002's form; nothing was changed. Rename or delete all but one account of each, "
            f"then downgrade again: {listing}"
        )
    with op.batch_alter_table("user") as batch:
        batch.drop_index("ix_user_email_key")
    changed = [
        {"row_id": user_id, "new": normal}
        for normal, [(user_id, email)] in groups.items()
        if normal != email
    ]
    if changed:
        update = (
            sa.update(_user)
            .where(_user.c.id == sa.bindparam("row_id"))
            .values(email=sa.bindparam("new"))
        )
        connection.execute(update, changed)
    with op.batch_alter_table("user") as batch:
        batch.drop_column("email_key")
        batch.create_index("ix_user_email", ["email"], unique=True)
