"""Opening room: bidders present, confirmations and objections

Revision ID: 0015_opening_room
Revises: 0014_opening_key
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_opening_room"
down_revision: str | None = "0014_opening_key"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bid_opening_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_bid_opening_attendance_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_bid_opening_attendance_tender_id_tender")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_bid_opening_attendance_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_opening_attendance")),
        sa.UniqueConstraint("tender_id", "organisation_id", name="uq_bid_opening_attendance"),
    )
    with op.batch_alter_table("bid_opening_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bid_opening_attendance_tender_id"), ["tender_id"], unique=False)
    op.create_table(
        "bid_opening_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["answered_by"], ["user_account.id"], name=op.f("fk_bid_opening_response_answered_by_user_account")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_bid_opening_response_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_bid_opening_response_tender_id_tender")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_bid_opening_response_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_opening_response")),
    )
    with op.batch_alter_table("bid_opening_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bid_opening_response_tender_id"), ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_table("bid_opening_response")
    op.drop_table("bid_opening_attendance")
