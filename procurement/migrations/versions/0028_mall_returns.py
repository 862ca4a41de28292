"""Mall returns after acceptance

Revision ID: 0028_mall_returns
Revises: 0027_mall_orders
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028_mall_returns"
down_revision: str | None = "0027_mall_orders"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # Units returned and received back; existing items have returned none.
    with op.batch_alter_table('mall_order_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_quantity', sa.Integer(), server_default='0', nullable=False))

    op.create_table('mall_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shipping_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.Integer(), nullable=True),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('next_check', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], name=op.f('fk_mall_return_order_id_mall_order')),
    sa.ForeignKeyConstraint(['requested_by'], ['user_account.id'], name=op.f('fk_mall_return_requested_by_user_account')),
    sa.ForeignKeyConstraint(['answered_by'], ['user_account.id'], name=op.f('fk_mall_return_answered_by_user_account')),
    sa.ForeignKeyConstraint(['received_by'], ['user_account.id'], name=op.f('fk_mall_return_received_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_return')),
    sa.UniqueConstraint('order_id', 'idempotency_key', name='uq_mall_return_idempotency')
    )
    with op.batch_alter_table('mall_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_return_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_return_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_return_next_check'), ['next_check'], unique=False)

    op.create_table('mall_return_item',
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['mall_return.id'], name=op.f('fk_mall_return_item_return_id_mall_return')),
    sa.ForeignKeyConstraint(['order_item_id'], ['mall_order_item.id'], name=op.f('fk_mall_return_item_order_item_id_mall_order_item')),
    sa.PrimaryKeyConstraint('return_id', 'order_item_id', name=op.f('pk_mall_return_item'))
    )


def downgrade() -> None:
    op.drop_table('mall_return_item')
    with op.batch_alter_table('mall_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_return_next_check'))
        batch_op.drop_index(batch_op.f('ix_mall_return_status'))
        batch_op.drop_index(batch_op.f('ix_mall_return_order_id'))
    op.drop_table('mall_return')
    with op.batch_alter_table('mall_order_item', schema=None) as batch_op:
        batch_op.drop_column('returned_quantity')
