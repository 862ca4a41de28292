"""Expert draws: requests, committed seeds, snapshots, outcomes

Revision ID: 0020_draws
Revises: 0019_expert_pool
"""

from collections.abc import Sequence

revision: str = "0020_draws"
down_revision: str | None = "0019_expert_pool"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
