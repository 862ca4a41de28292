"""Credit API input and output."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EntryIn(_Input):
    """A proposal: the fields 财办库〔2014〕526号 has published, plus the period."""

    uscc: str = Field(min_length=1, max_length=40, examples=["91460100MA5T000011"], description="unified social credit code (GB 32100-2015)")
    organisation_name: str = Field(min_length=2, max_length=200, examples=["海南示例建设工程有限公司"])
    address: str = Field(default="", max_length=300, examples=["海口市龙华区示例路 1 号"])
    conduct: str = Field(min_length=2, max_length=5000, examples=["提供虚假材料谋取中标"])
    penalty: str = Field(min_length=2, max_length=500, examples=["三年内禁止参加政府采购活动"])
    legal_basis: str = Field(min_length=2, max_length=200, examples=["政府采购法 第七十七条"])
    authority: str = Field(min_length=2, max_length=200, examples=["海口市财政局"])
    starts_on: date = Field(examples=["2026-01-05"])
    ends_on: date | None = Field(default=None, examples=["2029-01-04"], description="the last day debarred; omit only with permanent=true")
    permanent: bool = Field(default=False, description="no end date, where the law allows it")


class ReasonIn(_Input):
    reason: str = Field(min_length=5, max_length=1000, examples=["行政复议决定撤销原处罚决定"])


class EntryPublic(BaseModel):
    """What anyone may see of an entry in force, expired or lifted."""

    id: int
    uscc: str
    organisation_name: str
    address: str
    conduct: str
    penalty: str
    legal_basis: str
    authority: str
    starts_on: date
    ends_on: date | None
    status: str
    lifted_reason: str
    lifted_at: datetime | None
    decision_sha256: str | None


class EntryOut(EntryPublic):
    """The whole entry, for the trading centre and supervisors."""

    proposed_by: int
    approved_by: int | None
    decided_by: int | None
    decided_at: datetime | None
    rejected_reason: str
    lifted_by: int | None
    decision_size: int | None
    created_at: datetime
    updated_at: datetime


class EntryPage(BaseModel):
    items: list[EntryPublic]
    next_cursor: str | None


class ImportRow(BaseModel):
    row: int
    ok: bool
    entry_id: int | None = None
    errors: list[str] = []


class ImportReport(BaseModel):
    created: int
    rows: list[ImportRow]


class CheckOut(BaseModel):
    id: int
    organisation_id: int | None
    uscc: str
    purpose: str
    subject_type: str
    subject_id: str
    checked_at: datetime
    passed: bool
    seen: list[dict[str, object]]
