"""The blacklist (失信名单) and the record of every credit check.

An entry debars an organisation (by unified social credit code) for a period. Each check
made by another part of the platform (registration, obtaining documents, bid submission,
the opening, the award, the mall) is stored with what it saw, as the rules require
(财库〔2016〕125号): the entries in force at that moment, or their absence.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class EntryStatus(StrEnum):
    proposed = "proposed"  # entered by an operator, waiting for a supervisor
    in_force = "in_force"
    expired = "expired"  # its end date passed
    lifted = "lifted"  # lifted early by a supervisor, with a reason
    rejected = "rejected"  # a supervisor refused the proposal, with a reason; never public


class BlacklistEntry(SQLModel, table=True):
    __tablename__ = "credit_blacklist_entry"
    __table_args__ = (Index("ix_credit_blacklist_uscc_status", "uscc", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18)
    organisation_name: str = Field(max_length=200)  # as published
    address: str = Field(default="", max_length=300)
    conduct: str = Field(sa_column=Column(Text, nullable=False))
    penalty: str = Field(max_length=500)
    legal_basis: str = Field(max_length=200)  # the article
    authority: str = Field(max_length=200)  # the enforcing authority
    decision_object_key: str | None = Field(default=None, max_length=300)
    decision_sha256: str | None = Field(default=None, max_length=64)
    starts_on: date
    ends_on: date | None = None  # none: permanent, where the law allows it
    status: str = Field(max_length=16)
    proposed_by: int = Field(foreign_key="user_account.id")
    approved_by: int | None = Field(default=None, foreign_key="user_account.id")
    lifted_reason: str = Field(default="", max_length=1000)
    # The second person: who approved or rejected the proposal, when, and why a rejection.
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = timestamp(nullable=True)
    rejected_reason: str = Field(default="", max_length=1000)
    lifted_by: int | None = Field(default=None, foreign_key="user_account.id")
    lifted_at: datetime | None = timestamp(nullable=True)
    decision_size: int | None = None  # bytes of the decision document
    next_check: datetime | None = timestamp(nullable=True, index=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class CreditCheck(SQLModel, table=True):
    """One credit check: who was checked, for what, what was seen, and the decision."""

    __tablename__ = "credit_check"
    __table_args__ = (Index("ix_credit_check_subject", "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # None for a check at supplier registration that refused: the organisation was never
    # created (the check is kept by its USCC; a passed one is linked once the organisation exists).
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    uscc: str = Field(max_length=18)
    purpose: str = Field(max_length=32)  # registration | documents | bid_submission | opening | award | mall_listing | mall_order
    subject_type: str = Field(default="", max_length=32)
    subject_id: str = Field(default="", max_length=64)
    checked_at: datetime = timestamp()
    passed: bool
    # The entries in force at that moment (id, conduct, period, authority), as JSON; "[]" when none.
    seen: str = Field(sa_column=Column(Text, nullable=False))
