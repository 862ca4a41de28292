"""Tender search: trigram indexes for keywords (PostgreSQL)

A keyword is a substring match (LIKE '%word%'), which a B-tree cannot serve: a rare word
made PostgreSQL read every tender (about 20 ms over 100,000). pg_trgm's GIN indexes answer
it from the index (under 1 ms); a common word still walks the (published_at, id) index and
stops after a page. pg_trgm ships with Debian's postgresql package and is a trusted
extension, so a database owner may create it.

SQLite has no trigram index: there the same indexes are empty (WHERE 0), so both databases
match the models, and a rare keyword reads the whole (published_at, id) index.

Revision ID: 0008_search_perf
Revises: 0007_releases_extra
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_search_perf"
down_revision: str | None = "0007_releases_extra"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

COLUMNS = ("title", "code")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_tender_{column}_trgm", "tender", [column], unique=False,
            postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}, sqlite_where=sa.text("0"),
        )


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_tender_{column}_trgm", table_name="tender")
    # The extension stays: other objects may use it, and it holds no data.
