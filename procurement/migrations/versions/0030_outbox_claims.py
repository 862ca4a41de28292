"""Outbox claims and the award date index

Revision ID: 0030_outbox_claims
Revises: 0029_award_refusal
"""

from collections.abc import Sequence

revision: str = "0030_outbox_claims"
down_revision: str | None = "0029_award_refusal"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
