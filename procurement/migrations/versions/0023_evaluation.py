"""Evaluation: lot criteria, committee, checks, scores, report

Revision ID: 0023_evaluation
Revises: 0022_expert_ratings
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_evaluation"
down_revision: str | None = "0022_expert_ratings"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
