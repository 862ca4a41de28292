"""Outbox claims and the award date index

Revision ID: 0030_outbox_claims
Revises: 0029_award_refusal

The outbox's delivery round claims messages before sending them outside any transaction
(procurement/outbox/service.py): who holds each message and since when. A claimed message's
end of claim is kept in next_attempt_at, whose index already finds due messages, so the
claim columns need none. award_lot.awarded_at is indexed for the reads by award date
(statistics periods, the supervision rules' windows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030_outbox_claims"
down_revision: str | None = "0029_award_refusal"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot alter a table in place; on PostgreSQL these are plain ALTERs.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("award_lot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_lot_awarded_at"), ["awarded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("award_lot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_lot_awarded_at"))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
