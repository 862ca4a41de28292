"""Credit: the blacklist workflow

Revision ID: 0017_credit_workflow
Revises: 0016_tender_opening_settings
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017_credit_workflow"
down_revision: str | None = "0016_tender_opening_settings"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credit_blacklist_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rejected_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("lifted_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decision_size", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_credit_blacklist_entry_decided_by_user_account"), "user_account", ["decided_by"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_credit_blacklist_entry_lifted_by_user_account"), "user_account", ["lifted_by"], ["id"])

    # A refused registration's check is kept by USCC alone: its organisation was never created.
    with op.batch_alter_table("credit_check", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM credit_check WHERE organisation_id IS NULL")
    with op.batch_alter_table("credit_check", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("credit_blacklist_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_credit_blacklist_entry_lifted_by_user_account"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_credit_blacklist_entry_decided_by_user_account"), type_="foreignkey")
        batch_op.drop_column("decision_size")
        batch_op.drop_column("lifted_at")
        batch_op.drop_column("lifted_by")
        batch_op.drop_column("rejected_reason")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
