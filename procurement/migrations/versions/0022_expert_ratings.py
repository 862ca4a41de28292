"""Ratings of experts after the evaluation

Revision ID: 0022_expert_ratings
Revises: 0021_invitations
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022_expert_ratings"
down_revision: str | None = "0021_invitations"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('expert_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('rated_by', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['expert_draw.id'], name=op.f('fk_expert_rating_draw_id_expert_draw')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_rating_expert_id_expert')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_expert_rating_tender_id_tender')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_expert_rating_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['rated_by'], ['user_account.id'], name=op.f('fk_expert_rating_rated_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_rating')),
    sa.UniqueConstraint('draw_id', 'expert_id', 'side', name='uq_expert_rating_draw_expert_side')
    )
    with op.batch_alter_table('expert_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_rating_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_rating_expert_id'), ['expert_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('expert_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_rating_expert_id'))
        batch_op.drop_index(batch_op.f('ix_expert_rating_draw_id'))

    op.drop_table('expert_rating')
