"""Evaluation: each lot's evaluation scheme (tables for the evaluation itself follow in 0024)

Revision ID: 0023_evaluation
Revises: 0022_expert_ratings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_evaluation"
down_revision: str | None = "0022_expert_ratings"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# bidding.evaluation.scoring.default_scheme(track, category, method) in canonical JSON, as it was
# when this revision was written (frozen here: a later change of the defaults must not rewrite
# history). The goods weights are the column's default: lawful on every track and category.
_CRITERIA = '{"criteria":[{"code":"price","kind":"price","name":"价格","points":"%s"},{"code":"technical","kind":"technical","name":"技术","points":"%s"},{"code":"commercial","kind":"commercial","name":"商务","points":"%s"}],'
_RULES = '"disagreement_share":"0.30","discard_extremes":false,"format":"evaluation-scheme/v1","method":"%s","tie_break":"lower_price"}'
COMPREHENSIVE = {
    "goods": _CRITERIA % ("30.00", "50.00", "20.00") + _RULES % "comprehensive_scoring",
    "services": _CRITERIA % ("20.00", "60.00", "20.00") + _RULES % "comprehensive_scoring",
    "works": _CRITERIA % ("50.00", "40.00", "10.00") + _RULES % "comprehensive_scoring",
}
LOWEST_PRICE = '{"criteria":[{"code":"price","kind":"price","name":"价格","points":"100.00"}],' + _RULES % "lowest_price"

_lots = sa.table("tender_lot", sa.column("tender_id", sa.Integer), sa.column("evaluation_method", sa.String),
                 sa.column("evaluation_scheme", sa.Text))
_tenders = sa.table("tender", sa.column("id", sa.Integer), sa.column("category", sa.String))


def upgrade() -> None:
    with op.batch_alter_table('tender_lot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation_scheme', sa.Text(), server_default=COMPREHENSIVE["goods"], nullable=False))
    # Existing lots get the default scheme of their method and their tender's category.
    op.execute(_lots.update().where(_lots.c.evaluation_method == "lowest_price").values(evaluation_scheme=LOWEST_PRICE))
    for category, scheme in COMPREHENSIVE.items():
        of_category = sa.select(_tenders.c.id).where(_tenders.c.category == category)
        op.execute(_lots.update()
                   .where(_lots.c.evaluation_method == "comprehensive_scoring", _lots.c.tender_id.in_(of_category))
                   .values(evaluation_scheme=scheme))


def downgrade() -> None:
    with op.batch_alter_table('tender_lot', schema=None) as batch_op:
        batch_op.drop_column('evaluation_scheme')
