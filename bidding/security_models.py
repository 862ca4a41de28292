"""Bid securities (投标保证金): what a supplier paid for a lot, the runner's confirmation, the refund.

A row is one payment (or guarantee) recorded by the supplier. Its refund's due date is not
stored as the truth: it is computed from facts (the bid's withdrawal, the lot's or tender's
failure or termination, the award and contract facts below) by ``bidding.security``.
``refund_due_on`` keeps what the scheduler found when it marked the refund overdue. A winner
that refuses to sign without a due reason loses its security (``forfeited``, 不予退还).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class SecurityForm(StrEnum):
    bank_transfer = "bank_transfer"  # 银行转账
    cash = "cash"  # 现金 (works only: 政府采购法实施条例 第三十三条 requires a non-cash form)
    bank_guarantee = "bank_guarantee"  # 银行保函
    insurance_guarantee = "insurance_guarantee"  # 保证保险 / 保险保函


class SecurityStatus(StrEnum):
    pending = "pending"  # recorded by the supplier, not yet confirmed by the runner
    confirmed = "confirmed"  # the runner confirmed receipt
    rejected = "rejected"  # the runner found no such payment, or it does not qualify
    overdue = "overdue"  # confirmed, and its refund's due time passed without a refund
    refunded = "refunded"
    forfeited = "forfeited"  # not refunded (不予退还): the winner refused to sign without a due reason


class BidSecurity(SQLModel, table=True):
    __tablename__ = "bid_security"
    __table_args__ = (Index("ix_bid_security_lot_org", "tender_id", "lot_number", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    form: str = Field(max_length=32)
    amount_fen: int = Field(sa_type=BigInteger)
    payer_account_name: str = Field(max_length=200)
    bank_reference: str = Field(max_length=100)  # the transfer's reference, or the guarantee's number
    status: str = Field(max_length=16, index=True)
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: datetime = timestamp()
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = timestamp(nullable=True)
    reject_reason: str = Field(default="", max_length=500)
    # Facts handed in by the evaluation (refunds_due_after_award / _after_contract).
    winner: bool | None = Field(default=None)
    award_notice_at: datetime | None = timestamp(nullable=True)
    contract_signed_at: datetime | None = timestamp(nullable=True)
    # The winner refused to sign (bidding.award.refusal): forfeited with the article, or due back
    # for a due reason (force majeure).
    award_refused_at: datetime | None = timestamp(nullable=True)
    forfeited_at: datetime | None = timestamp(nullable=True)
    forfeit_article: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    # What the scheduler found when the refund fell overdue.
    refund_due_on: date | None = Field(default=None)
    overdue_at: datetime | None = timestamp(nullable=True)
    refunded_on: date | None = Field(default=None)
    refund_reference: str = Field(default="", max_length=100)
    refunded_by: int | None = Field(default=None, foreign_key="user_account.id")
    refund_recorded_at: datetime | None = timestamp(nullable=True)
