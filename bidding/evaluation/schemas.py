"""Evaluation API input and output, with the view-building that decides what each caller's answer holds."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from bidding.evaluation import service
from bidding.evaluation.models import (
    Evaluation,
    EvaluationCheck,
    EvaluationMember,
    EvaluationSheet,
)
from bidding.models import Bid

# A criterion's points: check_sheet then holds each to its own criterion's maximum.
Points = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot: int = Field(ge=1, le=10_000, description="the lot to evaluate", examples=[1])
    representatives: list[int] = Field(default_factory=list, max_length=20, examples=[[42]],
                                       description="user ids of the purchaser's representatives: as many as the draw provided for")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passed: bool = Field(description="whether the bid meets the qualification and compliance requirements", examples=[False])
    reason: str = Field(default="", max_length=500, description="required when it fails: which requirement", examples=["未提供有效的安全生产许可证"])


class SheetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: dict[str, Points] = Field(max_length=30, description="criterion code -> points, for every criterion but the price",
                                      examples=[{"technical": "42.50", "commercial": "18.00"}])


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: int = Field(ge=1, le=2**31 - 1, description="one of the caller's registered Ed25519 keys", examples=[7])
    signature: str = Field(min_length=1, max_length=100, description="base64 Ed25519 signature over "
                           "b'procurement-evaluation-report/v1\\n' + report_sha256 + b'\\n' + dissent (UTF-8)",
                           examples=["q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJA=="])
    dissent: str = Field(default="", max_length=5000, description="the member's disagreement with the report, if any (signed with it)",
                         examples=[""])


class MemberOut(BaseModel):
    id: int
    name: str
    kind: str = Field(description="expert | representative")
    specialty: str
    current: bool = Field(description="on the committee now; false: set aside, their work void")
    void_reason: str
    signed_in: bool
    checked: int = Field(description="bids this member has checked")
    submitted: bool
    extension_requested: bool
    signed: bool = Field(description="signed the report as it stands")


class BidStateOut(BaseModel):
    bid_id: int
    state: str = Field(description="pending (not every member checked it) | valid | rejected")
    reason: str = Field(description="the failing members' reasons, when rejected")


class EvaluationOut(BaseModel):
    id: int
    tender_id: int
    lot: int
    status: str = Field(description="in_progress | reporting | signed | failed")
    started_at: datetime
    ends_at: datetime
    extended: bool
    viewer: str = Field(description="in what capacity the caller sees it: member | organiser | supervisor")
    member_id: int | None = Field(description="the caller's seat, when a member")
    scheme: dict[str, Any]
    members: list[MemberOut]
    bids: list[BidStateOut] = Field(description="each bid's validity, once every member has checked it")
    all_submitted: bool
    result_sha256: str
    report_sha256: str
    signed_at: datetime | None
    outcome_reason: str


class FileOut(BaseModel):
    number: int
    name: str
    size: int
    digest: str


class OpenedBidOut(BaseModel):
    bid_id: int
    organisation_id: int
    bidder: str
    price: Decimal | None = Field(description="yuan, as the envelope stated it at the opening")
    fields: dict[str, Any] = Field(description="everything else the envelope's manifest stated")
    files: list[FileOut]
    envelope_sha256: str
    submitted_at: datetime
    opened_at: datetime | None


class CheckOut(BaseModel):
    member_id: int
    bid_id: int
    passed: bool
    reason: str
    checked_at: datetime


class SheetOut(BaseModel):
    member_id: int
    bid_id: int
    points: dict[str, Decimal]
    updated_at: datetime
    submitted_at: datetime | None


class ResultOut(BaseModel):
    evaluation_id: int
    result_sha256: str
    result: dict[str, Any] = Field(description="the scoring library's canonical result: ranked, rejected, disagreements")


class SignatureOut(BaseModel):
    member_id: int
    name: str
    key_id: int
    key_fingerprint: str
    signature: str
    dissent: str
    signed_at: datetime


class ReportOut(BaseModel):
    evaluation_id: int
    status: str
    report_sha256: str = Field(description="SHA-256 of the canonical content: what members sign")
    pdf_sha256: str
    content: dict[str, Any]
    signatures: list[SignatureOut]


def evaluation_out(found: service.Room, standing: service.Standing, signed: set[int]) -> EvaluationOut:
    e = found.evaluation
    checked: dict[int, int] = {}
    for c in standing.checks:
        checked[c.member_id] = checked.get(c.member_id, 0) + 1
    return EvaluationOut(
        id=e.id, tender_id=e.tender_id, lot=e.lot_number, status=e.status, started_at=e.started_at, ends_at=e.ends_at,  # type: ignore[arg-type]
        extended=e.extended, viewer=found.viewer, member_id=found.me.id if found.me else None, scheme=json.loads(e.scheme),
        members=[_member_out(m, found.current_ids, checked, standing.submitted, signed) for m in found.members],
        bids=[_bid_state(b, standing) for b in standing.bids], all_submitted=standing.all_submitted, result_sha256=e.result_digest,
        report_sha256=e.report_digest, signed_at=e.signed_at, outcome_reason=e.outcome_reason,
    )


def _member_out(m: EvaluationMember, current: set[int], checked: dict[int, int], submitted: set[int], signed: set[int]) -> MemberOut:
    return MemberOut(
        id=m.id, name=m.name, kind="expert" if m.expert_id else "representative", specialty=m.specialty, current=m.id in current,  # type: ignore[arg-type]
        void_reason=m.void_reason if m.id not in current else "", signed_in=m.signed_in_at is not None, checked=checked.get(m.id, 0),  # type: ignore[arg-type]
        submitted=m.id in submitted, extension_requested=m.extension_requested_at is not None, signed=m.id in signed,
    )


def _bid_state(bid: Bid, standing: service.Standing) -> BidStateOut:
    if not standing.settled:
        return BidStateOut(bid_id=bid.id, state="pending", reason="")  # type: ignore[arg-type]
    reason = standing.rejected.get(bid.id)  # type: ignore[arg-type]
    return BidStateOut(bid_id=bid.id, state="rejected" if reason else "valid", reason=reason or "")  # type: ignore[arg-type]


def opened_bid_out(bid: Bid, bidder: str) -> OpenedBidOut:
    fields = json.loads(bid.opening_fields or "{}")
    files = fields.pop("files", [])
    fields.pop("price", None)
    return OpenedBidOut(
        bid_id=bid.id, organisation_id=bid.organisation_id, bidder=bidder, price=service.bid_price(bid), fields=fields,  # type: ignore[arg-type]
        files=[FileOut(number=n, name=f["name"], size=f["size"], digest=f["digest"]) for n, f in enumerate(files, start=1)],
        envelope_sha256=bid.sha256, submitted_at=bid.submitted_at, opened_at=bid.opened_at,
    )


def check_out(c: EvaluationCheck) -> CheckOut:
    return CheckOut(member_id=c.member_id, bid_id=c.bid_id, passed=c.passed, reason=c.reason, checked_at=c.checked_at)


def sheet_out(s: EvaluationSheet) -> SheetOut:
    return SheetOut(member_id=s.member_id, bid_id=s.bid_id, points={k: Decimal(v) for k, v in json.loads(s.points).items()},
                    updated_at=s.updated_at, submitted_at=s.submitted_at)


def summary_out(e: Evaluation) -> dict[str, Any]:
    return {"id": e.id, "lot": e.lot_number, "status": e.status, "started_at": e.started_at, "ends_at": e.ends_at}


class EvaluationSummaryOut(BaseModel):
    id: int
    lot: int
    status: str
    started_at: datetime
    ends_at: datetime
