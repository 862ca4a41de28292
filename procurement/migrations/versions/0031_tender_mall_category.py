"""Tenders name the catalogue category they buy (mall-only categories enforced)

Revision ID: 0031_tender_mall_category
Revises: 0030_outbox_claims
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_tender_mall_category"
down_revision: str | None = "0030_outbox_claims"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column needs no table rebuild on SQLite; batch mode keeps both databases on one path.
    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mall_category", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.drop_column("mall_category")
