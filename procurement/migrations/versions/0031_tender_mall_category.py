"""Tenders name the catalogue category they buy (mall-only categories enforced)

Revision ID: 0031_tender_mall_category
Revises: 0030_outbox_claims
"""

from collections.abc import Sequence

revision: str = "0031_tender_mall_category"
down_revision: str | None = "0030_outbox_claims"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
