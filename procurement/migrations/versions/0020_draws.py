"""Expert draws: requests, committed seeds, snapshots, outcomes

Revision ID: 0020_draws
Revises: 0019_expert_pool
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_draws"
down_revision: str | None = "0019_expert_pool"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('expert_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.Integer(), nullable=True),
    sa.Column('evaluation_date', sa.Date(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seed_commitment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('snapshot_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('request_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('committed_seq', sa.BigInteger(), nullable=False),
    sa.Column('revealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_expert_draw_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], name=op.f('fk_expert_draw_requested_by_user_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_expert_draw_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_draw'))
    )
    with op.batch_alter_table('expert_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_draw_tender_id'), ['tender_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('expert_draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_draw_tender_id'))

    op.drop_table('expert_draw')
