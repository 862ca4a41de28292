"""Credit: the blacklist workflow

Revision ID: 0017_credit_workflow
Revises: 0016_tender_opening_settings
"""

from collections.abc import Sequence

revision: str = "0017_credit_workflow"
down_revision: str | None = "0016_tender_opening_settings"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
