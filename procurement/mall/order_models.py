"""Mall orders' tables: budgets, carts, orders and their items, mini-competitions (竞价) and quotes,
returns after acceptance (退货).

Money is in fen (integers). A budget row carries what is committed against it
(``committed_fen``: every order or competition still open or settled), so that reserving is
one conditional UPDATE (``amount_fen - committed_fen >= n``) and concurrent orders never
overspend it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class Budget(SQLModel, table=True):
    """A purchasing unit's mall budget for one year."""

    __tablename__ = "mall_budget"
    __table_args__ = (UniqueConstraint("organisation_id", "year", name="uq_mall_budget_unit_year"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    year: int
    amount_fen: int = Field(sa_type=BigInteger)
    committed_fen: int = Field(default=0, sa_type=BigInteger)  # open and settled orders, open competitions
    paid_fen: int = Field(default=0, sa_type=BigInteger)  # settled orders
    set_by: int = Field(foreign_key="user_account.id")
    updated_at: datetime = timestamp()


class CartItem(SQLModel, table=True):
    """A product in a purchaser's cart (per user: each buyer keeps their own)."""

    __tablename__ = "mall_cart_item"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    product_id: int = Field(foreign_key="mall_product.id", primary_key=True)
    quantity: int
    added_at: datetime = timestamp()


class OrderStatus(StrEnum):
    placed = "placed"
    confirmed = "confirmed"
    refused = "refused"  # by the supplier, with a reason
    cancelled = "cancelled"  # by the purchaser, or by the scheduler when not confirmed in time
    shipped = "shipped"
    accepted = "accepted"  # 验收 passed for some or all items
    rejected = "rejected"  # every item rejected at acceptance (returned)
    invoiced = "invoiced"
    settled = "settled"  # 结算: payment confirmed
    returned = "returned"  # every accepted unit returned after acceptance (退货): closed


# States whose (accepted) amount counts as bought.
BOUGHT_STATUSES = (OrderStatus.accepted, OrderStatus.invoiced, OrderStatus.settled)


class OrderKind(StrEnum):
    direct = "direct"  # 直购
    competition = "competition"  # 竞价


class Order(SQLModel, table=True):
    __tablename__ = "mall_order"
    __table_args__ = (
        # A repeated submit with the same Idempotency-Key finds the orders it placed (one per supplier).
        UniqueConstraint("purchaser_organisation_id", "idempotency_key", "supplier_organisation_id", name="uq_mall_order_idempotency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    purchaser_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    supplier_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    placed_by: int = Field(foreign_key="user_account.id")
    competition_id: int | None = Field(default=None, foreign_key="mall_competition.id")
    budget_id: int = Field(foreign_key="mall_budget.id")
    status: str = Field(max_length=16, index=True)
    total_fen: int = Field(sa_type=BigInteger)
    reference_fen: int = Field(sa_type=BigInteger)  # e-commerce average (else the ceiling) × quantity: for savings
    # Accepted at acceptance, less the returns the supplier has since received: what is invoiced and paid.
    accepted_fen: int | None = Field(default=None, sa_type=BigInteger)
    delivery_region: str = Field(max_length=64)
    delivery_address: str = Field(max_length=300)
    contact: str = Field(max_length=100)
    requested_date: date
    note: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=64)
    placed_at: datetime = timestamp(index=True)
    confirm_by: datetime = timestamp()
    confirmed_at: datetime | None = timestamp(nullable=True)
    shipped_at: datetime | None = timestamp(nullable=True)
    delivery_note: str = Field(default="", max_length=1000)
    accepted_at: datetime | None = timestamp(nullable=True)
    acceptance_note: str = Field(default="", max_length=1000)
    invoice_number: str = Field(default="", max_length=64)
    invoiced_at: datetime | None = timestamp(nullable=True)
    payment_reference: str = Field(default="", max_length=64)
    settled_at: datetime | None = timestamp(nullable=True)
    closed_at: datetime | None = timestamp(nullable=True)  # refused, cancelled or rejected
    closed_reason: str = Field(default="", max_length=1000)
    next_check: datetime | None = timestamp(nullable=True, index=True)


class OrderItem(SQLModel, table=True):
    """A line of an order, with the product as it was when ordered."""

    __tablename__ = "mall_order_item"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="mall_order.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="mall_product.id")  # None: a competition's item
    category_id: int = Field(foreign_key="mall_category.id")
    name: str = Field(max_length=200)
    brand: str = Field(max_length=100)
    model: str = Field(max_length=100)
    specifications: str = Field(sa_column=Column(Text, nullable=False))
    quantity: int
    unit_price_fen: int = Field(sa_type=BigInteger)
    reference_unit_fen: int = Field(sa_type=BigInteger)
    accepted_quantity: int | None = Field(default=None)  # as recorded at acceptance; returns do not change it
    rejection_reason: str = Field(default="", max_length=1000)
    returned_quantity: int = Field(default=0)  # accepted units returned after acceptance and received back by the supplier


class CompetitionStatus(StrEnum):
    open = "open"
    awarded = "awarded"
    failed = "failed"  # fewer compliant quotes than the minimum
    cancelled = "cancelled"


class Competition(SQLModel, table=True):
    """A mini-competition (竞价): a need posted by a purchaser, quoted on until the deadline."""

    __tablename__ = "mall_competition"

    id: int | None = Field(default=None, primary_key=True)
    purchaser_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    created_by: int = Field(foreign_key="user_account.id")
    budget_id: int = Field(foreign_key="mall_budget.id")
    category_id: int = Field(foreign_key="mall_category.id")
    title: str = Field(max_length=200)
    specifications: str = Field(sa_column=Column(Text, nullable=False))  # required attributes, JSON object
    quantity: int
    ceiling_fen: int = Field(sa_type=BigInteger)  # per unit
    delivery_region: str = Field(max_length=64)
    delivery_address: str = Field(max_length=300)
    contact: str = Field(max_length=100)
    requested_date: date
    deadline: datetime = timestamp()
    status: str = Field(max_length=16, index=True)
    winning_quote_id: int | None = Field(default=None)
    order_id: int | None = Field(default=None)
    outcome: str = Field(default="", max_length=1000)
    created_at: datetime = timestamp()
    decided_at: datetime | None = timestamp(nullable=True)
    next_check: datetime | None = timestamp(nullable=True, index=True)


class QuoteStatus(StrEnum):
    submitted = "submitted"
    won = "won"
    lost = "lost"
    non_compliant = "non_compliant"


class Quote(SQLModel, table=True):
    """A supplier's quote in a competition; one per supplier, revisable until the deadline."""

    __tablename__ = "mall_quote"
    __table_args__ = (UniqueConstraint("competition_id", "supplier_organisation_id", name="uq_mall_quote_supplier"),)

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="mall_competition.id", index=True)
    supplier_organisation_id: int = Field(foreign_key="organisation.id")
    submitted_by: int = Field(foreign_key="user_account.id")
    unit_price_fen: int = Field(sa_type=BigInteger)
    brand: str = Field(max_length=100)
    model: str = Field(max_length=100)
    specifications: str = Field(sa_column=Column(Text, nullable=False))  # what is offered, JSON object
    status: str = Field(max_length=16)
    finding: str = Field(default="", max_length=500)  # why a quote was not compliant at the deadline
    submitted_at: datetime = timestamp()


class ReturnStatus(StrEnum):
    requested = "requested"  # waiting for the supplier's answer until ``answer_by``
    agreed = "agreed"  # by the supplier, or by the scheduler at ``answer_by``
    refused = "refused"  # by the supplier, with a reason
    withdrawn = "withdrawn"  # by the purchasing unit, before sending the goods back
    sent = "sent"  # the purchasing unit sent the goods back
    received = "received"  # the supplier confirmed receipt: stock, budget and the order's amounts adjusted


# Returns that hold their units: no other return may ask for them meanwhile.
OPEN_RETURN_STATUSES = (ReturnStatus.requested, ReturnStatus.agreed, ReturnStatus.sent)


class OrderReturn(SQLModel, table=True):
    """A purchasing unit's request to return accepted units of an order (退货), and its course."""

    __tablename__ = "mall_return"
    __table_args__ = (
        # A repeated request with the same Idempotency-Key finds the return it created.
        UniqueConstraint("order_id", "idempotency_key", name="uq_mall_return_idempotency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="mall_order.id", index=True)
    status: str = Field(max_length=16, index=True)
    reason: str = Field(max_length=1000)
    amount_fen: int = Field(sa_type=BigInteger)  # the returned units at their order price: released on receipt
    idempotency_key: str | None = Field(default=None, max_length=64)
    requested_by: int = Field(foreign_key="user_account.id")
    requested_at: datetime = timestamp()
    answer_by: datetime = timestamp()
    answered_by: int | None = Field(default=None, foreign_key="user_account.id")  # None once answered: agreed by the scheduler
    answered_at: datetime | None = timestamp(nullable=True)
    sent_at: datetime | None = timestamp(nullable=True)
    shipping_note: str = Field(default="", max_length=1000)
    received_at: datetime | None = timestamp(nullable=True)
    received_by: int | None = Field(default=None, foreign_key="user_account.id")
    # The credit note (红字发票) of an invoiced order, or the refund of a settled one, given at receipt.
    reference: str = Field(default="", max_length=64)
    closed_at: datetime | None = timestamp(nullable=True)  # refused or withdrawn
    closed_reason: str = Field(default="", max_length=1000)
    next_check: datetime | None = timestamp(nullable=True, index=True)


class ReturnItem(SQLModel, table=True):
    """The units of one order item a return takes back."""

    __tablename__ = "mall_return_item"

    return_id: int = Field(foreign_key="mall_return.id", primary_key=True)
    order_item_id: int = Field(foreign_key="mall_order_item.id", primary_key=True)
    quantity: int
