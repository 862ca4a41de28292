"""Ratings of experts after the evaluation

Revision ID: 0022_expert_ratings
Revises: 0021_invitations
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022_expert_ratings"
down_revision: str | None = "0021_invitations"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
