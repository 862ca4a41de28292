"""Mall catalogue API input and output. Money is Decimal yuan here, fen in the tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from procurement.mall.models import ReviewStatus, SanctionKind

# A unit price: up to ten million yuan, in fen precision.
Price = Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2, examples=["4299.00"])]
Reason = Annotated[str, Field(min_length=2, max_length=1000, examples=["与京东、天猫同型号价格一致"])]
AttributeName = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
AttributeValue = Annotated[str, StringConstraints(max_length=200)] | int | float | bool
Region = Annotated[str, StringConstraints(min_length=2, max_length=64, strip_whitespace=True)]
Source = Literal["jd", "tmall", "suning", "other"]
# A row id: 32-bit on PostgreSQL, so larger numbers are refused before they reach the driver.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CategoryIn(_Input):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$", examples=["A020101"])
    name: str = Field(min_length=1, max_length=100, examples=["台式计算机"])
    parent_id: Id | None = None


class CategoryRename(_Input):
    name: str = Field(min_length=1, max_length=100, examples=["便携式计算机"])


class CategoryOut(BaseModel):
    id: int
    code: str
    name: str
    parent_id: int | None
    path: str


class AgreementIn(_Input):
    number: str = Field(min_length=2, max_length=64, examples=["HK-KJ-2026-001"])
    title: str = Field(min_length=2, max_length=200, examples=["2026年度海口市计算机设备框架协议"])
    region: str = Field(min_length=2, max_length=64, examples=["海口市"])
    valid_from: date = Field(examples=["2026-01-01"])
    valid_until: date = Field(examples=["2026-12-31"])
    category_ids: list[Id] = Field(min_length=1, max_length=100, description="the categories covered (their sub-categories too)")


class AgreementOut(BaseModel):
    id: int
    number: str
    title: str
    region: str
    valid_from: date
    valid_until: date
    category_ids: list[int]


class ApplicationIn(_Input):
    agreement_id: Id
    category_ids: list[Id] = Field(min_length=1, max_length=50)
    statement: str = Field(default="", max_length=2000, examples=["本公司为联想授权经销商，具备售后服务网点"])


class DecisionIn(_Input):
    approve: bool
    reason: Reason


class DocumentOut(BaseModel):
    id: int
    name: str
    sha256: str
    size: int
    content_type: str
    uploaded_at: datetime


class ApplicationOut(BaseModel):
    id: int
    agreement_id: int
    organisation_id: int
    organisation_name: str
    status: str
    statement: str
    category_ids: list[int]
    applied_at: datetime
    decided_at: datetime | None
    decision_reason: str
    documents: list[DocumentOut]


class ProductIn(_Input):
    agreement_id: Id
    category_id: Id
    name: str = Field(min_length=2, max_length=200, examples=["联想 启天M430 台式计算机"])
    brand: str = Field(min_length=1, max_length=100, examples=["联想"])
    model: str = Field(min_length=1, max_length=100, examples=["启天M430"])
    specifications: dict[AttributeName, AttributeValue] = Field(
        default_factory=dict, max_length=50, description="structured attributes: name → text (≤ 200), number or yes/no",
        examples=[{"CPU": "Intel i5-12500", "内存": "16GB", "硬盘": "512GB SSD"}],
    )
    stock: int = Field(ge=0, le=1_000_000)
    delivery_regions: list[Region] = Field(min_length=1, max_length=50, examples=[["海口市", "三亚市"]])
    lead_time_days: int = Field(ge=0, le=365, examples=[3])
    price: Price
    ceiling: Price = Field(description="the agreed ceiling price (入围限价) of the agreement's price list; operators may lower it")


class ProductUpdate(_Input):
    """What a supplier changes besides the price (which has its own route and history)."""

    name: str | None = Field(default=None, min_length=2, max_length=200)
    brand: str | None = Field(default=None, min_length=1, max_length=100)
    model: str | None = Field(default=None, min_length=1, max_length=100)
    specifications: dict[AttributeName, AttributeValue] | None = Field(default=None, max_length=50)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    delivery_regions: list[Region] | None = Field(default=None, min_length=1, max_length=50)
    lead_time_days: int | None = Field(default=None, ge=0, le=365)


class PriceIn(_Input):
    price: Price
    reason: str = Field(default="", max_length=500, examples=["原材料涨价"])


class CeilingIn(_Input):
    ceiling: Price
    reason: Reason


class ListingIn(_Input):
    on_sale: bool = Field(description="false: delist the product; true: offer it again (its price is checked again)")
    reason: str = Field(default="", max_length=500)


class ReferenceIn(_Input):
    source: Source
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://", examples=["https://item.jd.com/100012345678.html"])
    price: Price
    observed_on: date = Field(examples=["2026-01-04"])


class ReferenceOut(BaseModel):
    id: int
    source: str
    url: str
    price: Decimal
    observed_on: date


class PriceChangeOut(BaseModel):
    old_price: Decimal | None
    new_price: Decimal
    reason: str
    outcome: str
    changed_by: int
    changed_at: datetime


class FileOut(BaseModel):
    id: int
    kind: str
    name: str
    sha256: str
    size: int
    content_type: str


class ProductOut(BaseModel):
    id: int
    supplier_organisation_id: int
    supplier_name: str
    agreement_id: int
    category_id: int
    name: str
    brand: str
    model: str
    specifications: dict[str, str | int | float | bool]
    stock: int
    delivery_regions: list[str]
    lead_time_days: int
    price: Decimal
    ceiling: Decimal
    reference_average: Decimal | None
    status: str = Field(description="on_sale, blocked_price, pending_review, delisted, or supplier_suspended while the supplier is barred")
    sales_count: int
    files: list[FileOut]


class ProductSummary(BaseModel):
    id: int
    name: str
    brand: str
    model: str
    category_id: int
    supplier_organisation_id: int
    supplier_name: str
    price: Decimal
    reference_average: Decimal | None
    sales_count: int
    lead_time_days: int


class ProductPage(BaseModel):
    items: list[ProductSummary]
    next_cursor: str | None


class ReviewOut(BaseModel):
    id: int
    product_id: int
    product_name: str
    supplier_name: str
    price: Decimal
    reference_average: Decimal
    status: ReviewStatus
    created_at: datetime
    decided_at: datetime | None
    reason: str


class SanctionIn(_Input):
    organisation_id: Id
    kind: SanctionKind
    reason: Reason
    starts_at: AwareDatetime | None = Field(default=None, description="default: now")
    ends_at: AwareDatetime | None = Field(default=None, description="omit for a permanent sanction (forced exit)")


class LiftIn(_Input):
    reason: Reason


class SanctionOut(BaseModel):
    id: int
    organisation_id: int
    organisation_name: str
    kind: str
    reason: str
    starts_at: datetime
    ends_at: datetime | None
    status: str
    lifted_at: datetime | None
    lift_reason: str


class AnomalyOut(BaseModel):
    product_id: int
    product_name: str
    supplier_name: str
    rule: str
    price: Decimal
    compared_with: Decimal
    detail: str


class MonitoringOut(BaseModel):
    blocked: list[ProductSummary]
    reviews: list[ReviewOut]
    anomalies: list[AnomalyOut]
    sanctions: list[SanctionOut]
