"""Expert invitations, answers, check-in; the notification outbox

Revision ID: 0021_invitations
Revises: 0020_draws
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_invitations"
down_revision: str | None = "0020_draws"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
