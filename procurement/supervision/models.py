"""Risk alerts, the record of which checks ran on which tender, and the rules' thresholds.

An alert is evidence for a supervisor to look at, not a finding: it names the rule, the
records involved and what the rule saw in them (``evidence``), fixed when it was raised.
``dedupe_key`` says what makes two alerts the same, so no rule raises one twice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class AlertState(StrEnum):
    new = "new"
    under_review = "under_review"
    closed = "closed"


class RiskAlert(SQLModel, table=True):
    __tablename__ = "risk_alert"

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=48, index=True)
    dedupe_key: str = Field(max_length=300, unique=True)
    tender_id: int | None = Field(default=None, foreign_key="tender.id", index=True)
    lot_number: int | None = Field(default=None)
    purchaser_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    organisation_ids: str = Field(sa_column=Column(Text, nullable=False))  # JSON list: the organisations involved
    evidence: str = Field(sa_column=Column(Text, nullable=False))  # JSON, as the rule saw it
    state: str = Field(max_length=16, index=True)
    raised_at: datetime = timestamp(index=True)
    audit_seq: int = Field(default=0)  # the entry that recorded the raising
    reviewer_id: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: datetime | None = timestamp(nullable=True)
    closed_by: int | None = Field(default=None, foreign_key="user_account.id")
    closed_at: datetime | None = timestamp(nullable=True)
    close_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class RiskCheck(SQLModel, table=True):
    """A tender's checks at one stage (published, closed, opened) ran: the scheduler does not run them again."""

    __tablename__ = "risk_check"

    tender_id: int = Field(primary_key=True, foreign_key="tender.id")
    stage: str = Field(primary_key=True, max_length=16)
    checked_at: datetime = timestamp()
    alerts: int = Field(default=0)


class RiskThreshold(SQLModel, table=True):
    """A threshold set for a region and category ("" = any), overriding the defaults in ``rules.DEFAULTS``."""

    __tablename__ = "risk_threshold"
    __table_args__ = (UniqueConstraint("name", "region", "category", name="uq_risk_threshold"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=48)
    region: str = Field(default="", max_length=6)
    category: str = Field(default="", max_length=16)
    value: str = Field(max_length=40)  # a decimal number, as text: exact on every database
    note: str = Field(default="", max_length=300)


class ProjectSupervisor(SQLModel, table=True):
    """A supervisor assigned to oversee a tender (项目监督人员): kept off its evaluation committee."""

    __tablename__ = "project_supervisor"

    tender_id: int = Field(foreign_key="tender.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)
    assigned_by: int = Field(foreign_key="user_account.id")
    assigned_at: datetime = timestamp()
