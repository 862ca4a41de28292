"""Mall returns after acceptance

Revision ID: 0028_mall_returns
Revises: 0027_mall_orders
"""

from collections.abc import Sequence

revision: str = "0028_mall_returns"
down_revision: str | None = "0027_mall_orders"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
