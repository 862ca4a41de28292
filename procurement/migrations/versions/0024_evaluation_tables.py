"""Evaluation: committee members, checks, score sheets, report signatures

Revision ID: 0024_evaluation_tables
Revises: 0023_evaluation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024_evaluation_tables"
down_revision: str | None = "0023_evaluation"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scheme', sa.Text(), nullable=False),
    sa.Column('started_by', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('result_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('report_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('report_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['expert_draw.id'], name=op.f('fk_evaluation_draw_id_expert_draw')),
    sa.ForeignKeyConstraint(['started_by'], ['user_account.id'], name=op.f('fk_evaluation_started_by_user_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_evaluation_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('tender_id', 'lot_number', name='uq_evaluation_lot')
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_tender_id'), ['tender_id'], unique=False)

    op.create_table('evaluation_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('specialty', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('extension_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_member_evaluation_id_evaluation')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_evaluation_member_expert_id_expert')),
    sa.ForeignKeyConstraint(['invitation_id'], ['expert_invitation.id'], name=op.f('fk_evaluation_member_invitation_id_expert_invitation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_evaluation_member_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_member')),
    sa.UniqueConstraint('evaluation_id', 'user_id', name='uq_evaluation_member_user')
    )
    with op.batch_alter_table('evaluation_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_member_evaluation_id'), ['evaluation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_member_user_id'), ['user_id'], unique=False)

    op.create_table('evaluation_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_evaluation_check_bid_id_bid')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_check_evaluation_id_evaluation')),
    sa.ForeignKeyConstraint(['member_id'], ['evaluation_member.id'], name=op.f('fk_evaluation_check_member_id_evaluation_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_check')),
    sa.UniqueConstraint('member_id', 'bid_id', name='uq_evaluation_check')
    )
    with op.batch_alter_table('evaluation_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_check_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('evaluation_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_evaluation_sheet_bid_id_bid')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_sheet_evaluation_id_evaluation')),
    sa.ForeignKeyConstraint(['member_id'], ['evaluation_member.id'], name=op.f('fk_evaluation_sheet_member_id_evaluation_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_sheet')),
    sa.UniqueConstraint('member_id', 'bid_id', name='uq_evaluation_sheet')
    )
    with op.batch_alter_table('evaluation_sheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_sheet_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('evaluation_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('report_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('dissent', sa.Text(), server_default='', nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_signature_evaluation_id_evaluation')),
    sa.ForeignKeyConstraint(['key_id'], ['user_public_key.id'], name=op.f('fk_evaluation_signature_key_id_user_public_key')),
    sa.ForeignKeyConstraint(['member_id'], ['evaluation_member.id'], name=op.f('fk_evaluation_signature_member_id_evaluation_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_signature')),
    sa.UniqueConstraint('member_id', 'report_digest', name='uq_evaluation_signature')
    )
    with op.batch_alter_table('evaluation_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_signature_evaluation_id'), ['evaluation_id'], unique=False)


def downgrade() -> None:
    for table in ('evaluation_signature', 'evaluation_sheet', 'evaluation_check'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_evaluation_id'))
        op.drop_table(table)
    with op.batch_alter_table('evaluation_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_member_evaluation_id'))
    op.drop_table('evaluation_member')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_tender_id'))
    op.drop_table('evaluation')
