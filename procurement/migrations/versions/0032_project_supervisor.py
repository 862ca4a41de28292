"""Supervisors assigned to tenders (kept off the tenders' evaluation committees)

Revision ID: 0032_project_supervisor
Revises: 0031_tender_mall_category
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_project_supervisor"
down_revision: str | None = "0031_tender_mall_category"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_supervisor",
        sa.Column("tender_id", sa.Integer(), sa.ForeignKey("tender.id"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), primary_key=True),
        sa.Column("assigned_by", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_project_supervisor_user_id", "project_supervisor", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_project_supervisor_user_id", table_name="project_supervisor")
    op.drop_table("project_supervisor")
