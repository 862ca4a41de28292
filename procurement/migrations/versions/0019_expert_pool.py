"""Expert pool: experts, specialties, relationships, unavailability

Revision ID: 0019_expert_pool
Revises: 0018_supervision
"""

from collections.abc import Sequence

revision: str = "0019_expert_pool"
down_revision: str | None = "0018_supervision"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
