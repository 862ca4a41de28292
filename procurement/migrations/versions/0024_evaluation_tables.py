"""Evaluation: committee members, checks, score sheets, report signatures

Revision ID: 0024_evaluation_tables
Revises: 0023_evaluation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024_evaluation_tables"
down_revision: str | None = "0023_evaluation"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
