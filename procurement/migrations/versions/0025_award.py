"""Award: candidates, objections, award, contract

Revision ID: 0025_award
Revises: 0024_evaluation_tables
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025_award"
down_revision: str | None = "0024_evaluation_tables"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
