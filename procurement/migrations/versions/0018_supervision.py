"""Supervision: risk alerts

Revision ID: 0018_supervision
Revises: 0017_credit_workflow
"""

from collections.abc import Sequence

revision: str = "0018_supervision"
down_revision: str | None = "0017_credit_workflow"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
