"""Tender documents: later schema changes (reserved)

Revision ID: 0006_tender_documents_extra
Revises: 0005_notices_documents_releases
"""

from collections.abc import Sequence

revision: str = "0006_tender_documents_extra"
down_revision: str | None = "0005_notices_documents_releases"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
