"""Mall orders: budgets, carts, orders, mini-competitions, acceptance, settlement

Revision ID: 0027_mall_orders
Revises: 0026_mall_catalogue
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0027_mall_orders"
down_revision: str | None = "0026_mall_catalogue"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
