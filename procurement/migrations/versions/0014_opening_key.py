"""The tender's opening key: custodians and Shamir shares

Revision ID: 0014_opening_key
Revises: 0013_bid_security
"""

from collections.abc import Sequence

revision: str = "0014_opening_key"
down_revision: str | None = "0013_bid_security"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
