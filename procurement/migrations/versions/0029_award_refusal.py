"""Winner refusing to sign, government decision deadline

Revision ID: 0029_award_refusal
Revises: 0028_mall_returns
"""

from collections.abc import Sequence

revision: str = "0029_award_refusal"
down_revision: str | None = "0028_mall_returns"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
