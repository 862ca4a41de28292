"""Tender API input and output."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from bidding.evaluation.scoring import Kind, Scheme, TieBreak
from procurement.tenders.rules import Category, Method, Track

# Up to a hundred billion yuan, in fen precision.
Yuan = Annotated[Decimal, Field(gt=0, max_digits=13, decimal_places=2, examples=["1250000.00"])]
YuanOrZero = Annotated[Decimal, Field(ge=0, max_digits=13, decimal_places=2, examples=["25000.00"])]
EvaluationMethod = Literal["comprehensive_scoring", "lowest_price"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CriterionIn(_Input):
    code: str = Field(min_length=1, max_length=32, description="a key: lowercase letters, digits, underscores", examples=["technical"])
    name: str = Field(min_length=1, max_length=100, examples=["技术方案"])
    kind: Kind = Field(description="price: scored by the formula; technical, commercial: scored by each member")
    points: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2, examples=["50.00"])


class LotIn(_Input):
    title: str = Field(min_length=2, max_length=200, examples=["第一标段：门诊楼改造"])
    budget: Yuan
    bid_security: YuanOrZero = Decimal("0.00")
    evaluation_method: EvaluationMethod = "comprehensive_scoring"
    # The evaluation scheme (docs/evaluation.md); each part omitted takes the platform's default
    # for the tender's track, category and this method.
    criteria: list[CriterionIn] | None = Field(
        default=None, min_length=1, max_length=30,
        description="comprehensive scoring: one price criterion and points adding up to 100; lowest price: the price alone, 100 points",
    )
    discard_extremes: bool | None = Field(default=None, description="drop each bid's highest and lowest score sheet (5 or more members)")
    tie_break: TieBreak | None = Field(default=None, description="government procurement: lower_price only")


class TimelineIn(_Input):
    documents_from: datetime = Field(description="documents on offer from (招标文件发出)", examples=["2026-12-01T01:00:00Z"])
    documents_until: datetime = Field(examples=["2026-12-08T09:00:00Z"])
    questions_until: datetime | None = Field(default=None, examples=["2026-12-10T09:00:00Z"])
    bid_deadline: datetime = Field(description="bid deadline = opening time (投标截止即开标)", examples=["2026-12-22T01:30:00Z"])
    opening_place: str = Field(default="online", max_length=200, examples=["online"])
    release_minutes: int = Field(default=30, ge=5, le=24 * 60,
                                 description="at the opening, how long bidders have to release their content keys (解密时限)")
    max_bid_mib: int | None = Field(default=None, ge=1, le=1024 * 1024,
                                    description="the largest sealed bid this tender accepts, in MiB; the platform's limit if omitted")


class TenderDraft(_Input):
    title: str = Field(min_length=4, max_length=200, examples=["海口市人民医院门诊楼改造工程"])
    track: Track
    category: Category
    method: Method
    region: str = Field(pattern=r"^[0-9]{6}$", examples=["460100"])
    budget: Yuan
    purchaser_organisation_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="required when an agency creates the tender; a purchaser's own otherwise"
    )
    green_channel: bool = Field(default=False, description="a key project (绿色通道): first in the entry review queue")
    mall_category: str | None = Field(
        default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$", examples=["A020101"],
        description="government goods or services: the code of the mall catalogue category bought (GET /api/mall/categories); "
        "below the purchasing unit's tender threshold a mall-only category cannot be submitted (GET /api/mall/purchase-rules)",
    )
    lots: list[LotIn] = Field(min_length=1, max_length=50)
    timeline: TimelineIn
    contact_name: str = Field(default="", max_length=100, examples=["王工"])
    contact_phone: str = Field(default="", max_length=40, examples=["0898-12345678"])
    qualifications: str = Field(default="", max_length=20000, examples=["具有建筑工程施工总承包三级及以上资质"])


class ReviewIn(_Input):
    decision: Literal["accepted", "returned"]
    checklist: dict[str, bool] = Field(description="each required material and whether it was provided")
    reason: str = Field(default="", max_length=1000, examples=["缺少采购需求论证材料"])


class PublishIn(_Input):
    publish_at: datetime | None = Field(default=None, description="publish later at this time; now if omitted")


class CriterionOut(BaseModel):
    code: str = Field(examples=["technical"])
    name: str = Field(examples=["技术方案"])
    kind: str = Field(examples=["technical"])
    points: Decimal = Field(examples=["50.00"])


class SchemeOut(BaseModel):
    method: str = Field(examples=["comprehensive_scoring"])
    criteria: list[CriterionOut]
    discard_extremes: bool = Field(examples=[False])
    tie_break: str = Field(examples=["lower_price"])
    disagreement_share: Decimal = Field(description="a criterion's spread above this share of its points is flagged", examples=["0.30"])

    @classmethod
    def of(cls, scheme: Scheme) -> SchemeOut:
        return cls(
            method=scheme.method, discard_extremes=scheme.discard_extremes, tie_break=scheme.tie_break,
            disagreement_share=scheme.disagreement_share,
            criteria=[CriterionOut(code=c.code, name=c.name, kind=c.kind, points=c.points) for c in scheme.criteria],
        )


class LotOut(BaseModel):
    number: int = Field(examples=[1])
    title: str = Field(examples=["第一标段：门诊楼改造"])
    budget: Decimal = Field(examples=["1250000.00"])
    bid_security: Decimal = Field(examples=["25000.00"])
    evaluation_method: str = Field(examples=["comprehensive_scoring"])
    evaluation_scheme: SchemeOut


class TenderOut(BaseModel):
    id: int = Field(examples=[1])
    code: str = Field(examples=["460100-2026-GC-0001"])
    title: str = Field(examples=["海口市人民医院门诊楼改造工程"])
    track: str = Field(examples=["works"])
    category: str = Field(examples=["works"])
    method: str = Field(examples=["open"])
    region: str = Field(examples=["460100"])
    budget: Decimal = Field(examples=["1250000.00"])
    status: str = Field(examples=["published"])
    green_channel: bool = Field(examples=[False])
    mall_category: str | None = Field(description="the mall catalogue category bought, if named", examples=[None])
    purchaser_organisation_id: int = Field(examples=[3])
    purchaser_name: str = Field(examples=["海口市人民医院"])
    agency_organisation_id: int | None = Field(examples=[4])
    agency_name: str | None = Field(examples=["海南示例招标代理有限公司"])
    documents_from: datetime
    documents_until: datetime
    questions_until: datetime | None
    bid_deadline: datetime
    opening_place: str = Field(examples=["online"])
    release_minutes: int = Field(examples=[30])
    max_bid_mib: int | None = Field(examples=[None])
    contact_name: str
    contact_phone: str
    qualifications: str
    publish_at: datetime | None
    published_at: datetime | None
    closed_reason: str = Field(examples=[""])
    lots: list[LotOut]


class ReviewOut(BaseModel):
    tender_id: int = Field(examples=[1])
    decision: str = Field(examples=["accepted"])
    reason: str = Field(examples=[""])
    checklist: dict[str, bool]
    decided_at: datetime
    elapsed_seconds: int = Field(examples=[5400])
    within_target: bool = Field(description="decided within 24 hours of submission", examples=[True])


class QueueItem(BaseModel):
    tender: TenderOut
    waiting_seconds: int = Field(examples=[3600])
    overdue: bool = Field(description="waiting longer than the 24-hour target", examples=[False])
    checklist: list[str] = Field(examples=[["采购需求", "预算批复"]])


class AmendmentIn(_Input):
    summary: str = Field(min_length=4, max_length=5000, examples=["第一标段工程量清单第 3 项数量更正为 120 立方米"])


class AmendmentOut(BaseModel):
    number: int = Field(examples=[1])
    summary: str
    amended_at: datetime
    deadline_before: datetime
    deadline_after: datetime
    deadline_moved: bool = Field(description="the deadline moved so that 15 days remain after the amendment", examples=[True])


# The public list's item and page are msgspec structs: a page is built and encoded for every
# visitor's search, and structs cost a tenth of what models do (benchmarks/tender_search.py).
class TenderListItem(msgspec.Struct, kw_only=True):
    """A tender as the public list shows it; the whole tender, with its lots, is at ``GET /api/tenders/{id}``."""

    id: Annotated[int, msgspec.Meta(examples=[1])]
    code: Annotated[str, msgspec.Meta(examples=["460100-2026-GC-0001"])]
    title: Annotated[str, msgspec.Meta(examples=["海口市人民医院门诊楼改造工程"])]
    track: Annotated[str, msgspec.Meta(examples=["works"])]
    category: Annotated[str, msgspec.Meta(examples=["works"])]
    method: Annotated[str, msgspec.Meta(examples=["open"])]
    region: Annotated[str, msgspec.Meta(examples=["460100"])]
    budget: Annotated[Decimal, msgspec.Meta(description="yuan", examples=["1250000.00"])]
    status: Annotated[str, msgspec.Meta(examples=["published"])]
    green_channel: bool
    purchaser_organisation_id: Annotated[int, msgspec.Meta(examples=[3])]
    purchaser_name: Annotated[str, msgspec.Meta(examples=["海口市人民医院"])]
    agency_organisation_id: int | None
    agency_name: str | None
    documents_from: datetime
    documents_until: datetime
    bid_deadline: datetime
    published_at: datetime
    lot_count: Annotated[int, msgspec.Meta(description="lots (标段/包); their details are on the tender", examples=[2])]


class TenderPage(msgspec.Struct, kw_only=True):
    items: list[TenderListItem]
    next_cursor: Annotated[
        str | None, msgspec.Meta(description="pass as `cursor` for the next page; stable while tenders are added", examples=[None])
    ]


class CalendarDayIn(_Input):
    kind: Literal["holiday", "working_weekend"]
    name: str = Field(default="", max_length=100, examples=["春节"])


class CalendarDayOut(BaseModel):
    day: date = Field(examples=["2026-02-17"])
    kind: str = Field(examples=["holiday"])
    name: str = Field(examples=["春节"])


class TerminateIn(_Input):
    reason: str = Field(min_length=4, max_length=1000, examples=["采购需求发生重大变化，本项目终止"])


class CheckpointRef(BaseModel):
    tree_size: int
    root_hash: str
    signed_at: datetime


class NoticeOut(BaseModel):
    """A published notice: its fixed content, and where it sits in the signed audit log."""

    id: int
    tender_id: int
    number: int = Field(description="1, 2, ... within the tender")
    kind: str = Field(examples=["tender"], description="tender | amendment | failed | candidates | result | termination")
    title: str
    published_at: datetime
    corrects_notice_id: int | None = Field(description="the notice this one corrects, if any")
    content: dict[str, object] = Field(description="the facts announced, as fixed at publication")
    content_sha256: str = Field(description="SHA-256 of the content's canonical JSON; the publishing audit entry records it")
    audit_seq: int = Field(description="position of the publishing entry in the audit log")
    audit_entry_hash: str
    checkpoint: CheckpointRef | None = Field(description="the first signed checkpoint covering the entry (none until the next one)")
    page_url: str
    pdf_url: str
