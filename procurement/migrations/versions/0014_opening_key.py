"""The tender's opening key: custodians and Shamir shares

Revision ID: 0014_opening_key
Revises: 0013_bid_security
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_opening_key"
down_revision: str | None = "0013_bid_security"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tender_opening_key",
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("custodian_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"], name=op.f("fk_tender_opening_key_created_by_user_account")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_tender_opening_key_tender_id_tender")),
        sa.PrimaryKeyConstraint("tender_id", name=op.f("pk_tender_opening_key")),
    )
    op.create_table(
        "opening_key_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("custodian_user_id", sa.Integer(), nullable=False),
        sa.Column("custodian_key_id", sa.Integer(), nullable=False),
        sa.Column("custodian_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("wrapped_share", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("commitment", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("released_share", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["custodian_key_id"], ["user_public_key.id"], name=op.f("fk_opening_key_share_custodian_key_id_user_public_key")),
        sa.ForeignKeyConstraint(["custodian_user_id"], ["user_account.id"], name=op.f("fk_opening_key_share_custodian_user_id_user_account")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_opening_key_share_tender_id_tender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_key_share")),
        sa.UniqueConstraint("tender_id", "custodian_user_id", name="uq_opening_key_share_custodian"),
        sa.UniqueConstraint("tender_id", "x", name="uq_opening_key_share_x"),
    )
    with op.batch_alter_table("opening_key_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opening_key_share_custodian_user_id"), ["custodian_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_opening_key_share_tender_id"), ["tender_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opening_key_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_key_share_tender_id"))
        batch_op.drop_index(batch_op.f("ix_opening_key_share_custodian_user_id"))
    op.drop_table("opening_key_share")
    op.drop_table("tender_opening_key")
