"""Mall catalogue: agreements, categories, products, prices, reference prices, supplier sanctions

Revision ID: 0026_mall_catalogue
Revises: 0025_award
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0026_mall_catalogue"
down_revision: str | None = "0025_award"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
