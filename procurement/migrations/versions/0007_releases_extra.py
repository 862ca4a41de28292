"""OCDS releases and feeds: later schema changes (reserved)

Revision ID: 0007_releases_extra
Revises: 0006_tender_documents_extra
"""

from collections.abc import Sequence

revision: str = "0007_releases_extra"
down_revision: str | None = "0006_tender_documents_extra"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
