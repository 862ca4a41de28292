"""Mall catalogue: agreements, categories, products, prices, reference prices, supplier sanctions

The product keyword index is a pg_trgm GIN index on PostgreSQL (as 0008_search_perf does for
tenders) and an empty index (WHERE 0) on SQLite, so both databases match the models.

Revision ID: 0026_mall_catalogue
Revises: 0025_award
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0026_mall_catalogue"
down_revision: str | None = "0025_award"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('mall_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['mall_category.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_index(op.f('ix_mall_category_parent_id'), 'mall_category', ['parent_id'], unique=False)
    op.create_index(op.f('ix_mall_category_path'), 'mall_category', ['path'], unique=False)
    op.create_table('mall_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_table('mall_sanction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('imposed_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_by', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('next_check', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['imposed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['lifted_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mall_sanction_next_check'), 'mall_sanction', ['next_check'], unique=False)
    op.create_index('ix_mall_sanction_org_status', 'mall_sanction', ['organisation_id', 'status'], unique=False)
    op.create_table('mall_agreement_category',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['mall_agreement.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['mall_category.id'], ),
    sa.PrimaryKeyConstraint('agreement_id', 'category_id')
    )
    op.create_table('mall_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_organisation_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('brand', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('specifications', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('ceiling_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference_fen', sa.BigInteger(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('sales_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['mall_agreement.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['mall_category.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['supplier_organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mall_product_agreement_id'), 'mall_product', ['agreement_id'], unique=False)
    op.create_index(op.f('ix_mall_product_brand'), 'mall_product', ['brand'], unique=False)
    op.create_index('ix_mall_product_category_price', 'mall_product', ['category_id', 'status', 'price_fen', 'id'], unique=False)
    op.create_index('ix_mall_product_sale_price', 'mall_product', ['status', 'price_fen', 'id'], unique=False)
    op.create_index('ix_mall_product_sale_sales', 'mall_product', ['status', 'sales_count', 'id'], unique=False)
    op.create_index('ix_mall_product_search_trgm', 'mall_product', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'}, sqlite_where=sa.text('0'))
    op.create_index(op.f('ix_mall_product_supplier_organisation_id'), 'mall_product', ['supplier_organisation_id'], unique=False)
    op.create_table('mall_supplier_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['mall_agreement.id'], ),
    sa.ForeignKeyConstraint(['applied_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agreement_id', 'organisation_id', name='uq_mall_supplier_application')
    )
    op.create_index(op.f('ix_mall_supplier_application_agreement_id'), 'mall_supplier_application', ['agreement_id'], unique=False)
    op.create_index(op.f('ix_mall_supplier_application_organisation_id'), 'mall_supplier_application', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_mall_supplier_application_status'), 'mall_supplier_application', ['status'], unique=False)
    op.create_table('mall_application_category',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['mall_supplier_application.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['mall_category.id'], ),
    sa.PrimaryKeyConstraint('application_id', 'category_id')
    )
    op.create_table('mall_application_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('object_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['mall_supplier_application.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('object_key')
    )
    op.create_index(op.f('ix_mall_application_document_application_id'), 'mall_application_document', ['application_id'], unique=False)
    op.create_table('mall_price_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('old_fen', sa.BigInteger(), nullable=True),
    sa.Column('new_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mall_price_change_product_id'), 'mall_price_change', ['product_id'], unique=False)
    op.create_table('mall_price_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_mall_price_review_product_id'), 'mall_price_review', ['product_id'], unique=False)
    op.create_index(op.f('ix_mall_price_review_status'), 'mall_price_review', ['status'], unique=False)
    op.create_table('mall_product_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('object_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('object_key')
    )
    op.create_index(op.f('ix_mall_product_file_product_id'), 'mall_product_file', ['product_id'], unique=False)
    op.create_table('mall_product_region',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], ),
    sa.PrimaryKeyConstraint('product_id', 'region')
    )
    op.create_index('ix_mall_product_region_region', 'mall_product_region', ['region', 'product_id'], unique=False)
    op.create_table('mall_reference_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['mall_product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_mall_reference_product_source', 'mall_reference_price', ['product_id', 'source', 'observed_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mall_reference_product_source', table_name='mall_reference_price')
    op.drop_table('mall_reference_price')
    op.drop_index('ix_mall_product_region_region', table_name='mall_product_region')
    op.drop_table('mall_product_region')
    op.drop_index(op.f('ix_mall_product_file_product_id'), table_name='mall_product_file')
    op.drop_table('mall_product_file')
    op.drop_index(op.f('ix_mall_price_review_status'), table_name='mall_price_review')
    op.drop_index(op.f('ix_mall_price_review_product_id'), table_name='mall_price_review')
    op.drop_table('mall_price_review')
    op.drop_index(op.f('ix_mall_price_change_product_id'), table_name='mall_price_change')
    op.drop_table('mall_price_change')
    op.drop_index(op.f('ix_mall_application_document_application_id'), table_name='mall_application_document')
    op.drop_table('mall_application_document')
    op.drop_table('mall_application_category')
    op.drop_index(op.f('ix_mall_supplier_application_status'), table_name='mall_supplier_application')
    op.drop_index(op.f('ix_mall_supplier_application_organisation_id'), table_name='mall_supplier_application')
    op.drop_index(op.f('ix_mall_supplier_application_agreement_id'), table_name='mall_supplier_application')
    op.drop_table('mall_supplier_application')
    op.drop_index(op.f('ix_mall_product_supplier_organisation_id'), table_name='mall_product')
    op.drop_index('ix_mall_product_search_trgm', table_name='mall_product', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'}, sqlite_where=sa.text('0'))
    op.drop_index('ix_mall_product_sale_sales', table_name='mall_product')
    op.drop_index('ix_mall_product_sale_price', table_name='mall_product')
    op.drop_index('ix_mall_product_category_price', table_name='mall_product')
    op.drop_index(op.f('ix_mall_product_brand'), table_name='mall_product')
    op.drop_index(op.f('ix_mall_product_agreement_id'), table_name='mall_product')
    op.drop_table('mall_product')
    op.drop_table('mall_agreement_category')
    op.drop_index('ix_mall_sanction_org_status', table_name='mall_sanction')
    op.drop_index(op.f('ix_mall_sanction_next_check'), table_name='mall_sanction')
    op.drop_table('mall_sanction')
    op.drop_table('mall_agreement')
    op.drop_index(op.f('ix_mall_category_path'), table_name='mall_category')
    op.drop_index(op.f('ix_mall_category_parent_id'), table_name='mall_category')
    op.drop_table('mall_category')
