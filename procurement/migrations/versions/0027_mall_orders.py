"""Mall orders: budgets, carts, orders, mini-competitions, acceptance, settlement

Revision ID: 0027_mall_orders
Revises: 0026_mall_catalogue
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0027_mall_orders"
down_revision: str | None = "0026_mall_catalogue"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mall_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('committed_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_mall_budget_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['set_by'], ['user_account.id'], name=op.f('fk_mall_budget_set_by_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_budget')),
    sa.UniqueConstraint('organisation_id', 'year', name='uq_mall_budget_unit_year')
    )
    with op.batch_alter_table('mall_budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_budget_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('mall_competition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchaser_organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('specifications', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('ceiling_fen', sa.BigInteger(), nullable=False),
    sa.Column('delivery_region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('delivery_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('requested_date', sa.Date(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('winning_quote_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['budget_id'], ['mall_budget.id'], name=op.f('fk_mall_competition_budget_id_mall_budget')),
    sa.ForeignKeyConstraint(['category_id'], ['mall_category.id'], name=op.f('fk_mall_competition_category_id_mall_category')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_mall_competition_created_by_user_account')),
    sa.ForeignKeyConstraint(['purchaser_organisation_id'], ['organisation.id'], name=op.f('fk_mall_competition_purchaser_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_competition'))
    )
    with op.batch_alter_table('mall_competition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_competition_next_check'), ['next_check'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_competition_purchaser_organisation_id'), ['purchaser_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_competition_status'), ['status'], unique=False)

    op.create_table('mall_cart_item',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], name=op.f('fk_mall_cart_item_product_id_mall_product')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mall_cart_item_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'product_id', name=op.f('pk_mall_cart_item'))
    )
    op.create_table('mall_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('purchaser_organisation_id', sa.Integer(), nullable=False),
    sa.Column('supplier_organisation_id', sa.Integer(), nullable=False),
    sa.Column('placed_by', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=True),
    sa.Column('budget_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference_fen', sa.BigInteger(), nullable=False),
    sa.Column('accepted_fen', sa.BigInteger(), nullable=True),
    sa.Column('delivery_region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('delivery_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('requested_date', sa.Date(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirm_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acceptance_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('invoice_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('invoiced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payment_reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('next_check', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['budget_id'], ['mall_budget.id'], name=op.f('fk_mall_order_budget_id_mall_budget')),
    sa.ForeignKeyConstraint(['competition_id'], ['mall_competition.id'], name=op.f('fk_mall_order_competition_id_mall_competition')),
    sa.ForeignKeyConstraint(['placed_by'], ['user_account.id'], name=op.f('fk_mall_order_placed_by_user_account')),
    sa.ForeignKeyConstraint(['purchaser_organisation_id'], ['organisation.id'], name=op.f('fk_mall_order_purchaser_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['supplier_organisation_id'], ['organisation.id'], name=op.f('fk_mall_order_supplier_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_order')),
    sa.UniqueConstraint('purchaser_organisation_id', 'idempotency_key', 'supplier_organisation_id', name='uq_mall_order_idempotency')
    )
    with op.batch_alter_table('mall_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_next_check'), ['next_check'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_placed_at'), ['placed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_purchaser_organisation_id'), ['purchaser_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_supplier_organisation_id'), ['supplier_organisation_id'], unique=False)

    op.create_table('mall_quote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('supplier_organisation_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('brand', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('specifications', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('finding', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['mall_competition.id'], name=op.f('fk_mall_quote_competition_id_mall_competition')),
    sa.ForeignKeyConstraint(['submitted_by'], ['user_account.id'], name=op.f('fk_mall_quote_submitted_by_user_account')),
    sa.ForeignKeyConstraint(['supplier_organisation_id'], ['organisation.id'], name=op.f('fk_mall_quote_supplier_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_quote')),
    sa.UniqueConstraint('competition_id', 'supplier_organisation_id', name='uq_mall_quote_supplier')
    )
    with op.batch_alter_table('mall_quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_quote_competition_id'), ['competition_id'], unique=False)

    op.create_table('mall_order_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('brand', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('specifications', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference_unit_fen', sa.BigInteger(), nullable=False),
    sa.Column('accepted_quantity', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['mall_category.id'], name=op.f('fk_mall_order_item_category_id_mall_category')),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], name=op.f('fk_mall_order_item_order_id_mall_order')),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], name=op.f('fk_mall_order_item_product_id_mall_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_order_item'))
    )
    with op.batch_alter_table('mall_order_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_item_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mall_order_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_order_item_order_id'))

    op.drop_table('mall_order_item')
    with op.batch_alter_table('mall_quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_quote_competition_id'))

    op.drop_table('mall_quote')
    with op.batch_alter_table('mall_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_order_supplier_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_status'))
        batch_op.drop_index(batch_op.f('ix_mall_order_purchaser_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_placed_at'))
        batch_op.drop_index(batch_op.f('ix_mall_order_next_check'))

    op.drop_table('mall_order')
    op.drop_table('mall_cart_item')
    with op.batch_alter_table('mall_competition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_competition_status'))
        batch_op.drop_index(batch_op.f('ix_mall_competition_purchaser_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_mall_competition_next_check'))

    op.drop_table('mall_competition')
    with op.batch_alter_table('mall_budget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_budget_organisation_id'))

    op.drop_table('mall_budget')
