"""Supervision: risk alerts

Revision ID: 0018_supervision
Revises: 0017_credit_workflow
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_supervision"
down_revision: str | None = "0017_credit_workflow"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # Where each bid upload came from, for the risk rules.
    with op.batch_alter_table("bid_upload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_ip", sqlmodel.sql.sqltypes.AutoString(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("client_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=300), server_default="", nullable=False))

    op.create_table(
        "risk_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=True),
        sa.Column("lot_number", sa.Integer(), nullable=True),
        sa.Column("purchaser_organisation_id", sa.Integer(), nullable=True),
        sa.Column("organisation_ids", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_risk_alert_tender_id_tender")),
        sa.ForeignKeyConstraint(["purchaser_organisation_id"], ["organisation.id"],
                                name=op.f("fk_risk_alert_purchaser_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["user_account.id"], name=op.f("fk_risk_alert_reviewer_id_user_account")),
        sa.ForeignKeyConstraint(["closed_by"], ["user_account.id"], name=op.f("fk_risk_alert_closed_by_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_alert")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_risk_alert_dedupe_key")),
    )
    with op.batch_alter_table("risk_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_alert_rule"), ["rule"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_alert_tender_id"), ["tender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_alert_purchaser_organisation_id"), ["purchaser_organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_alert_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_alert_raised_at"), ["raised_at"], unique=False)

    op.create_table(
        "risk_check",
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_risk_check_tender_id_tender")),
        sa.PrimaryKeyConstraint("tender_id", "stage", name=op.f("pk_risk_check")),
    )

    op.create_table(
        "risk_threshold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_threshold")),
        sa.UniqueConstraint("name", "region", "category", name="uq_risk_threshold"),
    )


def downgrade() -> None:
    op.drop_table("risk_threshold")
    op.drop_table("risk_check")
    with op.batch_alter_table("risk_alert", schema=None) as batch_op:
        for column in ("raised_at", "state", "purchaser_organisation_id", "tender_id", "rule"):
            batch_op.drop_index(batch_op.f(f"ix_risk_alert_{column}"))
    op.drop_table("risk_alert")
    with op.batch_alter_table("bid_upload", schema=None) as batch_op:
        batch_op.drop_column("client_fingerprint")
        batch_op.drop_column("client_ip")
