"""Bid securities: payments, confirmations, refunds

Revision ID: 0013_bid_security
Revises: 0012_opening
"""

from collections.abc import Sequence

revision: str = "0013_bid_security"
down_revision: str | None = "0012_opening"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
