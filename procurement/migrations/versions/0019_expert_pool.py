"""Expert pool: experts, specialties, relationships, unavailability

Revision ID: 0019_expert_pool
Revises: 0018_supervision
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019_expert_pool"
down_revision: str | None = "0018_supervision"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('expert_specialty_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('parent_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_specialty_code'))
    )
    op.create_index(op.f('ix_expert_specialty_code_code'), 'expert_specialty_code', ['code'], unique=True)
    op.create_table('expert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('national_id', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('employer_uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('suspension_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('suspended_until', sa.Date(), nullable=True),
    sa.Column('qualification_expires', sa.Date(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_expert_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert')),
    sa.UniqueConstraint('national_id', name=op.f('uq_expert_national_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_expert_user_id'))
    )
    op.create_index(op.f('ix_expert_employer_uscc'), 'expert', ['employer_uscc'], unique=False)
    op.create_index(op.f('ix_expert_region'), 'expert', ['region'], unique=False)
    op.create_index(op.f('ix_expert_status'), 'expert', ['status'], unique=False)
    op.create_table('expert_relationship',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('organisation_uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_relationship_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_relationship'))
    )
    op.create_index(op.f('ix_expert_relationship_expert_id'), 'expert_relationship', ['expert_id'], unique=False)
    op.create_index(op.f('ix_expert_relationship_organisation_uscc'), 'expert_relationship', ['organisation_uscc'], unique=False)
    op.create_table('expert_specialty',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_specialty_expert_id_expert')),
    sa.ForeignKeyConstraint(['specialty_id'], ['expert_specialty_code.id'], name=op.f('fk_expert_specialty_specialty_id_expert_specialty_code')),
    sa.PrimaryKeyConstraint('expert_id', 'specialty_id', name=op.f('pk_expert_specialty'))
    )
    op.create_index(op.f('ix_expert_specialty_specialty_id'), 'expert_specialty', ['specialty_id'], unique=False)
    op.create_table('expert_unavailability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('to_date', sa.Date(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_unavailability_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_unavailability'))
    )
    op.create_index(op.f('ix_expert_unavailability_expert_id'), 'expert_unavailability', ['expert_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_expert_unavailability_expert_id'), table_name='expert_unavailability')
    op.drop_table('expert_unavailability')
    op.drop_index(op.f('ix_expert_specialty_specialty_id'), table_name='expert_specialty')
    op.drop_table('expert_specialty')
    op.drop_index(op.f('ix_expert_relationship_organisation_uscc'), table_name='expert_relationship')
    op.drop_index(op.f('ix_expert_relationship_expert_id'), table_name='expert_relationship')
    op.drop_table('expert_relationship')
    op.drop_index(op.f('ix_expert_status'), table_name='expert')
    op.drop_index(op.f('ix_expert_region'), table_name='expert')
    op.drop_index(op.f('ix_expert_employer_uscc'), table_name='expert')
    op.drop_table('expert')
    op.drop_index(op.f('ix_expert_specialty_code_code'), table_name='expert_specialty_code')
    op.drop_table('expert_specialty_code')
