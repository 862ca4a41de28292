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
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_reference'), ['reference'], unique=False)

    op.create_table('expert_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('specialty', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('answer_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('conflict_detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['expert_draw.id'], name=op.f('fk_expert_invitation_draw_id_expert_draw')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_invitation_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_invitation')),
    sa.UniqueConstraint('draw_id', 'expert_id', name='uq_expert_invitation_draw_expert'),
    sa.UniqueConstraint('token_hash', name=op.f('uq_expert_invitation_token_hash'))
    )
    with op.batch_alter_table('expert_invitation', schema=None) as batch_op:
        for column in ('draw_id', 'expert_id', 'status', 'answer_by', 'created_at'):
            batch_op.create_index(batch_op.f(f'ix_expert_invitation_{column}'), [column], unique=False)


def downgrade() -> None:
    op.drop_table('expert_invitation')
    op.drop_table('outbox_message')
