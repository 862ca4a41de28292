"""Bid securities: payments, confirmations, refunds

Revision ID: 0013_bid_security
Revises: 0012_opening
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_bid_security"
down_revision: str | None = "0012_opening"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bid_security",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("form", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payer_account_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("bank_reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("winner", sa.Boolean(), nullable=True),
        sa.Column("award_notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contract_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_due_on", sa.Date(), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_on", sa.Date(), nullable=True),
        sa.Column("refund_reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("refunded_by", sa.Integer(), nullable=True),
        sa.Column("refund_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"], name=op.f("fk_bid_security_decided_by_user_account")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_bid_security_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"], name=op.f("fk_bid_security_recorded_by_user_account")),
        sa.ForeignKeyConstraint(["refunded_by"], ["user_account.id"], name=op.f("fk_bid_security_refunded_by_user_account")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_bid_security_tender_id_tender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_security")),
    )
    with op.batch_alter_table("bid_security", schema=None) as batch_op:
        batch_op.create_index("ix_bid_security_lot_org", ["tender_id", "lot_number", "organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bid_security_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bid_security_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_bid_security_tender_id"), ["tender_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bid_security", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bid_security_tender_id"))
        batch_op.drop_index(batch_op.f("ix_bid_security_status"))
        batch_op.drop_index(batch_op.f("ix_bid_security_organisation_id"))
        batch_op.drop_index("ix_bid_security_lot_org")
    op.drop_table("bid_security")
