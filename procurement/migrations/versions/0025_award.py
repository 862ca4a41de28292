"""Award: candidates, objections, award, contract

Revision ID: 0025_award
Revises: 0024_evaluation_tables
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025_award"
down_revision: str | None = "0024_evaluation_tables"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('award_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('report_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committee_names', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publicity_notice_id', sa.Integer(), nullable=False),
    sa.Column('publish_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publicity_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('publicity_ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decide_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('winner_candidate_id', sa.Integer(), nullable=True),
    sa.Column('choice_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('awarded_by', sa.Integer(), nullable=True),
    sa.Column('result_notice_id', sa.Integer(), nullable=True),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('award_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('savings_fen', sa.BigInteger(), nullable=True),
    sa.Column('discount_rate', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('contract_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contract_overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contract_signed_on', sa.Date(), nullable=True),
    sa.Column('contract_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contract_recorded_by', sa.Integer(), nullable=True),
    sa.Column('contract_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('contract_content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('contract_object_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('contract_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('contract_size', sa.BigInteger(), nullable=True),
    sa.Column('contract_notice_id', sa.Integer(), nullable=True),
    sa.Column('next_check', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['awarded_by'], ['user_account.id'], name=op.f('fk_award_lot_awarded_by_user_account')),
    sa.ForeignKeyConstraint(['contract_notice_id'], ['tender_notice.id'], name=op.f('fk_award_lot_contract_notice_id_tender_notice')),
    sa.ForeignKeyConstraint(['contract_recorded_by'], ['user_account.id'], name=op.f('fk_award_lot_contract_recorded_by_user_account')),
    sa.ForeignKeyConstraint(['publicity_notice_id'], ['tender_notice.id'], name=op.f('fk_award_lot_publicity_notice_id_tender_notice')),
    sa.ForeignKeyConstraint(['result_notice_id'], ['tender_notice.id'], name=op.f('fk_award_lot_result_notice_id_tender_notice')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_award_lot_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_lot')),
    sa.UniqueConstraint('tender_id', 'lot_number', name='uq_award_lot')
    )
    with op.batch_alter_table('award_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_lot_next_check'), ['next_check'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_lot_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_lot_tender_id'), ['tender_id'], unique=False)

    op.create_table('award_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_lot_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('total', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['award_lot_id'], ['award_lot.id'], name=op.f('fk_award_candidate_award_lot_id_award_lot')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_award_candidate_bid_id_bid')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_award_candidate_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_candidate')),
    sa.UniqueConstraint('award_lot_id', 'rank', name='uq_award_candidate_rank')
    )
    with op.batch_alter_table('award_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_candidate_award_lot_id'), ['award_lot_id'], unique=False)

    op.create_table('award_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_lot_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['award_lot_id'], ['award_lot.id'], name=op.f('fk_award_letter_award_lot_id_award_lot')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_award_letter_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_award_letter_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_letter')),
    sa.UniqueConstraint('award_lot_id', 'organisation_id', name='uq_award_letter_recipient')
    )
    with op.batch_alter_table('award_letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_letter_award_lot_id'), ['award_lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_letter_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_letter_tender_id'), ['tender_id'], unique=False)

    op.create_table('award_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_lot_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('filed_by', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('answer', sa.Text(), server_default='', nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], name=op.f('fk_award_objection_answered_by_user_account')),
    sa.ForeignKeyConstraint(['award_lot_id'], ['award_lot.id'], name=op.f('fk_award_objection_award_lot_id_award_lot')),
    sa.ForeignKeyConstraint(['filed_by'], ['user_account.id'], name=op.f('fk_award_objection_filed_by_user_account')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_award_objection_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_award_objection_tender_id_tender')),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('award_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_objection_award_lot_id'), ['award_lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_objection_tender_id'), ['tender_id'], unique=False)



def downgrade() -> None:
    for table in ('award_objection', 'award_letter', 'award_candidate'):
        op.drop_table(table)
    with op.batch_alter_table('award_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_lot_tender_id'))
        batch_op.drop_index(batch_op.f('ix_award_lot_state'))
        batch_op.drop_index(batch_op.f('ix_award_lot_next_check'))
    op.drop_table('award_lot')
