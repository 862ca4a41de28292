"""Mall orders API input and output: budgets, orders, acceptance, settlement, returns, competitions, quotes.

Money is Decimal yuan here, fen in the tables.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from procurement.mall.schemas import (
    AttributeName,
    AttributeValue,
    Price,
    Reason,
    Region,
    _Input,
)

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, examples=["500000.00"])]
Quantity = Annotated[int, Field(ge=1, le=100000)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Address = Annotated[str, Field(min_length=4, max_length=300, examples=["海口市美兰区海府路1号 行政楼201"])]
Contact = Annotated[str, Field(min_length=2, max_length=100, examples=["王老师 0898-65000000"])]
Specifications = dict[AttributeName, AttributeValue]


class BudgetIn(_Input):
    organisation_id: Id
    year: int = Field(ge=2000, le=2100)
    amount: Amount


class BudgetOut(BaseModel):
    id: int
    organisation_id: int
    organisation_name: str
    year: int
    amount: Decimal
    committed: Decimal
    paid: Decimal
    left: Decimal


class RulesOut(BaseModel):
    region: str
    direct_threshold: Decimal
    tender_threshold: Decimal = Field(description="below it, a tender for a mall category is refused: it is bought in the mall")
    mall_categories: list[str]


class OrderLineIn(_Input):
    product_id: Id
    quantity: Quantity


class OrderIn(_Input):
    items: list[OrderLineIn] = Field(min_length=1, max_length=50)
    delivery_region: Region
    delivery_address: Address
    contact: Contact
    requested_date: date = Field(examples=["2026-01-20"])
    note: str = Field(default="", max_length=1000)


class ItemOut(BaseModel):
    id: int
    product_id: int | None
    category_id: int
    name: str
    brand: str
    model: str
    specifications: dict[str, object]
    quantity: int
    unit_price: Decimal
    reference_unit_price: Decimal
    accepted_quantity: int | None
    rejection_reason: str
    returned_quantity: int = Field(description="accepted units returned since and received back by the supplier")


class ReturnLineOut(BaseModel):
    item_id: int
    name: str
    quantity: int
    unit_price: Decimal


class ReturnOut(BaseModel):
    id: int
    order_id: int
    status: str
    reason: str
    amount: Decimal
    items: list[ReturnLineOut]
    requested_at: datetime
    answer_by: datetime
    answered_at: datetime | None
    agreed_automatically: bool = Field(description="agreed by the scheduler: the supplier did not answer by answer_by")
    sent_at: datetime | None
    shipping_note: str
    received_at: datetime | None
    reference: str
    closed_at: datetime | None
    closed_reason: str


class OrderOut(BaseModel):
    id: int
    kind: str
    status: str
    purchaser_organisation_id: int
    purchaser_name: str
    supplier_organisation_id: int
    supplier_name: str
    competition_id: int | None
    total: Decimal
    reference: Decimal
    savings: Decimal
    accepted: Decimal | None = Field(description="accepted at acceptance, less the returns received since: what is invoiced and paid")
    returned: Decimal = Field(description="the returns received since acceptance")
    return_until: date | None = Field(description="the last Beijing day the purchasing unit may ask to return units; none when returns are closed")
    delivery_region: str
    delivery_address: str
    contact: str
    requested_date: date
    note: str
    placed_at: datetime
    confirm_by: datetime
    confirmed_at: datetime | None
    shipped_at: datetime | None
    delivery_note: str
    accepted_at: datetime | None
    acceptance_note: str
    invoice_number: str
    invoiced_at: datetime | None
    payment_reference: str
    settled_at: datetime | None
    closed_at: datetime | None
    closed_reason: str
    items: list[ItemOut]
    returns: list[ReturnOut]


class ReasonIn(_Input):
    reason: Reason


class ShipIn(_Input):
    delivery_note: str = Field(min_length=2, max_length=1000, examples=["顺丰 SF1234567890，共2箱"])


class AcceptedLineIn(_Input):
    item_id: Id
    accepted_quantity: int = Field(ge=0, le=100000)
    reason: str = Field(default="", max_length=1000, description="required when fewer than ordered are accepted")


class AcceptanceIn(_Input):
    items: list[AcceptedLineIn] = Field(min_length=1, max_length=50)
    note: str = Field(default="", max_length=1000, examples=["逐项核对技术、服务、安全标准，符合合同约定"])


class InvoiceIn(_Input):
    number: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9-]+$", examples=["46002600001234"])
    amount: Amount


class PaymentIn(_Input):
    reference: str = Field(min_length=2, max_length=64, examples=["国库集中支付 ZF2026-000123"])


class ReturnLineIn(_Input):
    item_id: Id
    quantity: Quantity


class ReturnIn(_Input):
    items: list[ReturnLineIn] = Field(min_length=1, max_length=50)
    reason: Reason


class ReturnSentIn(_Input):
    shipping_note: str = Field(min_length=2, max_length=1000, examples=["顺丰 SF9876543210，退回1台"])


class ReturnReceivedIn(_Input):
    reference: str = Field(default="", max_length=64, examples=["红字发票 46002600009876"],
                           description="required when the order is invoiced (the credit note, 红字发票) or settled (the refund)")


class CompetitionIn(_Input):
    title: str = Field(min_length=2, max_length=200, examples=["台式计算机 20台"])
    category_id: Id
    specifications: Specifications = Field(min_length=1, max_length=50, description="each attribute a quote must meet")
    quantity: Quantity
    ceiling: Price = Field(description="the highest unit price accepted")
    deadline: datetime = Field(description="quotes close at this moment (with its offset)")
    delivery_region: Region
    delivery_address: Address
    contact: Contact
    requested_date: date


class QuoteIn(_Input):
    unit_price: Price
    brand: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=100)
    specifications: Specifications = Field(min_length=1, max_length=50, description="the value offered for every required attribute")


class QuoteOut(BaseModel):
    id: int
    supplier_organisation_id: int
    supplier_name: str
    unit_price: Decimal
    brand: str
    model: str
    specifications: dict[str, object]
    status: str
    finding: str
    submitted_at: datetime


class CompetitionOut(BaseModel):
    id: int
    title: str
    purchaser_organisation_id: int
    purchaser_name: str
    category_id: int
    specifications: dict[str, object]
    quantity: int
    ceiling: Decimal
    deadline: datetime
    delivery_region: str
    requested_date: date
    status: str
    outcome: str
    order_id: int | None
    quotes: list[QuoteOut] = Field(description="the caller's own quote before the deadline; all of them after it, for the purchaser and the centre")


class LateOrderOut(BaseModel):
    id: int
    kind: Literal["confirmation", "delivery"]
    purchaser_name: str
    supplier_name: str
    status: str
    placed_at: datetime
    due: datetime | date


class SavingsRow(BaseModel):
    key: str
    label: str
    orders: int
    reference: Decimal
    paid: Decimal
    savings: Decimal
    rate: Decimal = Field(description="savings ÷ reference, in percent")
