"""Tenders (项目), their lots (标段/包), entry reviews and project-code sequences.

Money is stored as whole fen (分) in integers: SQLite has no exact decimal type, and a
budget must never be a float. The API speaks Decimal yuan with two places.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bidding.evaluation.scoring import default_scheme
from procurement.audit.chain import canonical_json
from procurement.models_base import timestamp


class TenderStatus(StrEnum):
    draft = "draft"  # private to its owner, freely editable
    submitted = "submitted"  # waiting for the trading centre's entry review (进场)
    accepted = "accepted"  # entry accepted; the owner publishes it (now or at a set time)
    published = "published"  # notice out, documents on offer, bidding open
    bidding_closed = "bidding_closed"  # the bid deadline passed
    opened = "opened"
    evaluating = "evaluating"
    candidates_publicised = "candidates_publicised"
    awarded = "awarded"
    contract_signed = "contract_signed"
    failed = "failed"  # 流标/废标
    terminated = "terminated"


class Tender(SQLModel, table=True):
    __tablename__ = "tender"
    # The public list is newest publication first, filtered by one or two of these columns:
    # each index lets the database walk in that order and stop after a page, instead of
    # sorting every match (measured by `python -m benchmarks tender_search`).
    __table_args__ = (
        UniqueConstraint("owner_organisation_id", "idempotency_key", name="uq_tender_owner_idempotency"),
        Index("ix_tender_published", "published_at", "id"),
        *(Index(f"ix_tender_{column}_published", column, "published_at", "id") for column in ("region", "track", "category", "method", "status")),
        # Keywords (LIKE '%word%'): trigram indexes on PostgreSQL, empty on SQLite (0008_search_perf).
        *(Index(f"ix_tender_{column}_trgm", column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
                sqlite_where=text("0")) for column in ("title", "code")),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)  # e.g. 460100-2026-ZC-0001
    title: str = Field(max_length=200)
    track: str = Field(max_length=16)
    category: str = Field(max_length=16)
    method: str = Field(max_length=16)
    region: str = Field(max_length=6)
    budget_fen: int = Field(sa_type=BigInteger)
    purchaser_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    agency_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    # Who runs it on the platform: the agency when there is one, else the purchaser.
    owner_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    idempotency_key: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=32)
    green_channel: bool = Field(default=False)
    documents_from: datetime = timestamp()
    documents_until: datetime = timestamp()
    questions_until: datetime | None = timestamp(nullable=True)
    bid_deadline: datetime = timestamp(index=True)
    opening_place: str = Field(default="online", max_length=200)
    release_minutes: int = Field(default=30)  # the opening's window for bidders to release their keys
    max_bid_mib: int | None = Field(default=None)  # the tender's limit on a sealed bid; None: the platform's
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    qualifications: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The mall catalogue category a government goods or services tender buys (its code); checked
    # against the purchasing unit's mall-only categories at submission (tenders.mall_only).
    mall_category: str | None = Field(default=None, max_length=32)
    publish_at: datetime | None = timestamp(nullable=True)  # scheduled publication
    submitted_at: datetime | None = timestamp(nullable=True)
    published_at: datetime | None = timestamp(nullable=True)
    closed_reason: str = Field(default="", max_length=500)  # why it failed or was terminated
    # When the scheduler must look at this tender next (publication, deadline); None: never.
    next_check: datetime | None = timestamp(nullable=True, index=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp(index=True)


# A lot written without a scheme (a raw insert; rows older than the column) gets the goods
# weights (price 30): lawful on every track and for every category.
FALLBACK_SCHEME = canonical_json(default_scheme("government", "goods", "comprehensive_scoring").encoded())


class Lot(SQLModel, table=True):
    __tablename__ = "tender_lot"
    __table_args__ = (UniqueConstraint("tender_id", "number", name="uq_tender_lot_number"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    number: int
    title: str = Field(max_length=200)
    budget_fen: int = Field(sa_type=BigInteger)
    bid_security_fen: int = Field(default=0, sa_type=BigInteger)
    evaluation_method: str = Field(max_length=32)  # comprehensive_scoring | lowest_price: the scheme's method
    # The evaluation scheme chosen at publication: canonical JSON of bidding.evaluation.scoring.Scheme.
    evaluation_scheme: str = Field(default=FALLBACK_SCHEME, sa_column=Column(Text, nullable=False, server_default=FALLBACK_SCHEME))


class EntryReview(SQLModel, table=True):
    """The trading centre's decision on a submitted tender (进场审核), against its checklist."""

    __tablename__ = "tender_entry_review"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    decision: str = Field(max_length=16)  # accepted | returned
    reason: str = Field(default="", max_length=1000)
    checklist: str = Field(sa_column=Column(Text, nullable=False))  # JSON: item -> checked
    reviewer_id: int = Field(foreign_key="user_account.id")
    submitted_at: datetime = timestamp()
    decided_at: datetime = timestamp()
    # Seconds from submission to decision, measured against the 24-hour target.
    elapsed_seconds: int


class CodeSequence(SQLModel, table=True):
    """The last number given to a project code prefix; its row lock orders concurrent creators."""

    __tablename__ = "tender_code_sequence"

    prefix: str = Field(primary_key=True, max_length=24)
    last: int = Field(default=0)


class CalendarDay(SQLModel, table=True):
    """A day that breaks the Monday-to-Friday rule: a holiday, or a weekend worked (调休)."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    kind: str = Field(max_length=16)  # holiday | working_weekend
    name: str = Field(default="", max_length=100)


class Amendment(SQLModel, table=True):
    """A clarification or amendment (澄清或修改) of a published tender, with its effect on the deadline."""

    __tablename__ = "tender_amendment"
    __table_args__ = (UniqueConstraint("tender_id", "number", name="uq_tender_amendment_number"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    number: int
    summary: str = Field(sa_column=Column(Text, nullable=False))
    amended_at: datetime = timestamp()
    deadline_before: datetime = timestamp()
    deadline_after: datetime = timestamp()
    author_id: int = Field(foreign_key="user_account.id")


class NoticeKind(StrEnum):
    tender = "tender"  # 招标公告 / 采购公告
    amendment = "amendment"  # 更正公告 (澄清或修改)
    failed = "failed"  # 流标 / 废标公告
    candidates = "candidates"  # 中标候选人公示
    result = "result"  # 中标（成交）结果公告
    termination = "termination"  # 终止公告
    opening = "opening"  # 开标记录
    contract = "contract"  # 合同公告 (bidding.award)


class Notice(SQLModel, table=True):
    """A public notice as published: immutable. A correction is a new notice, never an edit.

    ``content`` is the notice's facts as canonical JSON, fixed at publication; pages and PDFs
    are rendered from it, never from the tender's current state. Its SHA-256 is written into
    the audit entry that published it, so a reader can tie the text to the signed log.
    """

    __tablename__ = "tender_notice"
    __table_args__ = (
        UniqueConstraint("tender_id", "number", name="uq_tender_notice_number"),
        Index("ix_tender_notice_published", "published_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    number: int  # 1, 2, ... within the tender
    kind: str = Field(max_length=16)
    title: str = Field(max_length=300)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_sha256: str = Field(max_length=64)
    published_at: datetime = timestamp()
    # The audit entry that published it: its position and hash (checkpoints cover it later).
    audit_seq: int = Field(sa_type=BigInteger)
    audit_entry_hash: str = Field(max_length=64)
    corrects_notice_id: int | None = Field(default=None, foreign_key="tender_notice.id")
