"""The mall catalogue (电子卖场): framework agreements, their suppliers, the category tree,
products with their prices, price history and reviews, e-commerce reference prices, and
sanctions on suppliers.

Money is in fen (integers). Whether a product is on sale is decided at query time
(``catalogue.ON_SALE``): its own status, its agreement's validity, and no sanction or
blacklist entry on its supplier; a sanction never rewrites product rows, so lifting it
restores the products at once.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class Agreement(SQLModel, table=True):
    """A framework agreement (框架协议): who may sell what, in which region, for how long."""

    __tablename__ = "mall_agreement"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)  # e.g. HK-KJ-2026-001
    title: str = Field(max_length=200)
    region: str = Field(max_length=64)
    valid_from: date
    valid_until: date
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = timestamp()


class Category(SQLModel, table=True):
    """A node of the mall's category tree, maintained by operators.

    ``path`` is the chain of ids from the root ("/3/17/"), so "this category and everything
    under it" is one prefix match.
    """

    __tablename__ = "mall_category"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="mall_category.id", index=True)
    name: str = Field(max_length=100)
    path: str = Field(default="", max_length=200, index=True)


class AgreementCategory(SQLModel, table=True):
    """A category an agreement covers (sub-categories included)."""

    __tablename__ = "mall_agreement_category"

    agreement_id: int = Field(foreign_key="mall_agreement.id", primary_key=True)
    category_id: int = Field(foreign_key="mall_category.id", primary_key=True)


class ApplicationStatus(StrEnum):
    applied = "applied"
    approved = "approved"
    rejected = "rejected"


class SupplierApplication(SQLModel, table=True):
    """A supplier's onboarding to an agreement (入驻申请): an approved one lets it list in the
    categories it applied for."""

    __tablename__ = "mall_supplier_application"
    __table_args__ = (UniqueConstraint("agreement_id", "organisation_id", name="uq_mall_supplier_application"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="mall_agreement.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    status: str = Field(max_length=16, index=True)
    statement: str = Field(default="", max_length=2000)  # what the supplier says about itself
    applied_by: int = Field(foreign_key="user_account.id")
    applied_at: datetime = timestamp()
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = timestamp(nullable=True)
    decision_reason: str = Field(default="", max_length=1000)


class ApplicationCategory(SQLModel, table=True):
    __tablename__ = "mall_application_category"

    application_id: int = Field(foreign_key="mall_supplier_application.id", primary_key=True)
    category_id: int = Field(foreign_key="mall_category.id", primary_key=True)


class ApplicationDocument(SQLModel, table=True):
    """A document attached to an application (licence, qualification), in object storage."""

    __tablename__ = "mall_application_document"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="mall_supplier_application.id", index=True)
    name: str = Field(max_length=200)
    object_key: str = Field(max_length=300, unique=True)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    content_type: str = Field(max_length=100)
    uploaded_by: int = Field(foreign_key="user_account.id")
    uploaded_at: datetime = timestamp()


class ProductStatus(StrEnum):
    on_sale = "on_sale"
    blocked_price = "blocked_price"  # above the agreed ceiling (the ceiling was lowered)
    pending_review = "pending_review"  # too far above the e-commerce average: an operator decides
    delisted = "delisted"  # withdrawn by the supplier or an operator
    # Never stored: shown instead of the stored status while a sanction or blacklist entry
    # applies to the supplier (decided at query time).
    supplier_suspended = "supplier_suspended"


STORED_STATUSES = (ProductStatus.on_sale, ProductStatus.blocked_price, ProductStatus.pending_review, ProductStatus.delisted)


class Product(SQLModel, table=True):
    __tablename__ = "mall_product"
    __table_args__ = (
        # The public list's walks: by price and by sales, each with its keyset tie-breaker.
        Index("ix_mall_product_sale_price", "status", "price_fen", "id"),
        Index("ix_mall_product_sale_sales", "status", "sales_count", "id"),
        Index("ix_mall_product_category_price", "category_id", "status", "price_fen", "id"),
        # Keyword search on PostgreSQL (pg_trgm); empty on SQLite (see the migration).
        Index(
            "ix_mall_product_search_trgm", "search_text",
            postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}, sqlite_where=text("0"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    supplier_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    agreement_id: int = Field(foreign_key="mall_agreement.id", index=True)
    category_id: int = Field(foreign_key="mall_category.id")
    name: str = Field(max_length=200)
    brand: str = Field(max_length=100, index=True)
    model: str = Field(max_length=100)
    # Structured attributes: a JSON object of name → string/number/bool (checked by the service).
    specifications: str = Field(sa_column=Column(Text, nullable=False))
    # Lower-cased name, brand, model and attribute values: what a keyword is matched against.
    search_text: str = Field(sa_column=Column(Text, nullable=False))
    stock: int = Field(default=0)
    lead_time_days: int = Field(default=3)
    price_fen: int = Field(sa_type=BigInteger)
    ceiling_fen: int = Field(sa_type=BigInteger)  # 入围限价, set by the agreement
    # Average of the latest reference price per source, kept when references change; None: no references.
    reference_fen: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(max_length=24)
    sales_count: int = Field(default=0)  # units sold; kept by orders
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class ProductRegion(SQLModel, table=True):
    """A region a product is delivered to."""

    __tablename__ = "mall_product_region"
    __table_args__ = (Index("ix_mall_product_region_region", "region", "product_id"),)

    product_id: int = Field(foreign_key="mall_product.id", primary_key=True)
    region: str = Field(max_length=64, primary_key=True)


class ProductFile(SQLModel, table=True):
    """An image or document of a product, in object storage."""

    __tablename__ = "mall_product_file"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="mall_product.id", index=True)
    kind: str = Field(max_length=16)  # image | document
    name: str = Field(max_length=200)
    object_key: str = Field(max_length=300, unique=True)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    content_type: str = Field(max_length=100)
    uploaded_by: int = Field(foreign_key="user_account.id")
    uploaded_at: datetime = timestamp()


class PriceChange(SQLModel, table=True):
    """Every price a product has had: the first listing (old is None) and each change."""

    __tablename__ = "mall_price_change"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="mall_product.id", index=True)
    old_fen: int | None = Field(default=None, sa_type=BigInteger)
    new_fen: int = Field(sa_type=BigInteger)
    reason: str = Field(default="", max_length=500)
    outcome: str = Field(max_length=24)  # the product's status after the change
    changed_by: int = Field(foreign_key="user_account.id")
    changed_at: datetime = timestamp()


class ReviewStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"  # the supplier changed the price before a decision


class PriceReview(SQLModel, table=True):
    """A price held for an operator because it is too far above the e-commerce average."""

    __tablename__ = "mall_price_review"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="mall_product.id", index=True)
    price_fen: int = Field(sa_type=BigInteger)
    reference_fen: int = Field(sa_type=BigInteger)
    status: str = Field(max_length=16, index=True)
    created_at: datetime = timestamp()
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = timestamp(nullable=True)
    reason: str = Field(default="", max_length=1000)


class ReferencePrice(SQLModel, table=True):
    """A price seen on a big e-commerce site, entered by an operator or imported from CSV."""

    __tablename__ = "mall_reference_price"
    __table_args__ = (Index("ix_mall_reference_product_source", "product_id", "source", "observed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="mall_product.id")
    source: str = Field(max_length=16)  # jd | tmall | suning | other
    url: str = Field(max_length=500)
    price_fen: int = Field(sa_type=BigInteger)
    observed_on: date
    entered_by: int = Field(foreign_key="user_account.id")
    entered_at: datetime = timestamp()


class SanctionKind(StrEnum):
    freeze = "freeze"  # 冻结
    delist = "delist"  # 清退 / 下架
    suspend = "suspend"  # 暂停


class SanctionStatus(StrEnum):
    active = "active"
    expired = "expired"  # its end passed (set by the scheduler; the query tests the time itself)
    lifted = "lifted"  # lifted early by an operator, with a reason


class Sanction(SQLModel, table=True):
    """A sanction on a supplier: while in force it lists nothing and sells nothing."""

    __tablename__ = "mall_sanction"
    __table_args__ = (Index("ix_mall_sanction_org_status", "organisation_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    kind: str = Field(max_length=16)
    reason: str = Field(max_length=1000)
    starts_at: datetime = timestamp()
    ends_at: datetime | None = timestamp(nullable=True)  # None: permanent
    status: str = Field(max_length=16)
    imposed_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = timestamp()
    lifted_by: int | None = Field(default=None, foreign_key="user_account.id")
    lifted_at: datetime | None = timestamp(nullable=True)
    lift_reason: str = Field(default="", max_length=1000)
    next_check: datetime | None = timestamp(nullable=True, index=True)
