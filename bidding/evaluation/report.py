"""The evaluation report (评标报告): its canonical content, its PDF, the members' signatures, the hand-over.

Once every current member has submitted, any member draws up the report: canonical JSON
(sorted keys, no spaces, UTF-8) of the scheme, the committee (and the members set aside),
the bids, every check and sheet, the result with its disagreements, and the outcome. Its
SHA-256 is what each member signs with their registered Ed25519 key, over

    b"procurement-evaluation-report/v1\\n" + digest (hex, ASCII) + b"\\n" + dissent (UTF-8)

so that a dissent (an empty string when there is none) cannot be changed after signing.
When every current member has signed, the evaluation is signed (or failed, with too few
valid bids for the method's minimum), the PDF is drawn again with the signatures, and the
lot goes to the award (``bidding.award.service.receive_evaluation``) or fails through the
tenders service with its failed-tender notice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award import service as award
from bidding.award.handover import EvaluatedLot, RankedBid
from bidding.evaluation import service
from bidding.evaluation.models import (
    Evaluation,
    EvaluationMember,
    EvaluationSignature,
    EvaluationStatus,
)
from expert_pool import draws
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.chain import canonical_json
from procurement.clock import as_utc, to_display
from procurement.errors import N_, Conflict, InvalidInput
from procurement.identity.models import KeyPurpose, UserPublicKey
from procurement.platform import Platform
from procurement.tenders import rules
from procurement.tenders import service as tenders
from procurement.tenders.models import Lot, Tender
from procurement.tenders.money import to_yuan
from storage import put_bytes

REPORT_FORMAT = "evaluation-report/v1"
SIGNATURE_DOMAIN = b"procurement-evaluation-report/v1\n"
PDF_TEMPLATE = "pdf/evaluation_report.html"
CANDIDATES = 3  # at most three ranked candidates [招标投标法实施条例 第五十三条]

RenderPdf = Callable[[str, Mapping[str, Any]], Awaitable[bytes]]


def signed_message(report_digest: str, dissent: str) -> bytes:
    """The bytes a member signs: the report's digest and their dissent, under the report's domain."""
    return SIGNATURE_DOMAIN + report_digest.encode("ascii") + b"\n" + dissent.encode("utf-8")


# --- Drawing up ---------------------------------------------------------------------------------------


async def draw_up(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, render_pdf: RenderPdf) -> Evaluation:
    """Any current member, once every one has submitted: the report, its digest and its PDF."""
    found = await service.room(session, platform, actor, evaluation_id, write=True)
    service.require_member(found)
    evaluation = found.evaluation
    if evaluation.status != EvaluationStatus.in_progress:
        raise Conflict(N_("the report is drawn up while the evaluation is in progress; it is %(status)s"), status=evaluation.status)
    standing = await service.standing(session, evaluation, found.current)
    if not standing.all_submitted or evaluation.result is None:
        raise Conflict(N_("the report is drawn up once every member has submitted"))
    now = platform.clock.now()
    content = await _content(session, found, standing, now.isoformat())
    evaluation.report = canonical_json(content)
    evaluation.report_digest = hashlib.sha256(evaluation.report.encode()).hexdigest()
    evaluation.reported_at, evaluation.status = now, EvaluationStatus.reporting
    await _store_pdf(session, platform, evaluation, render_pdf)
    await audit.record(session, platform.clock, actor, "evaluation.reported", subject_type="evaluation", subject_id=evaluation_id,
                       details={"report_sha256": evaluation.report_digest, "pdf_sha256": evaluation.report_sha256,
                                "outcome": content["outcome"]["kind"]})
    return evaluation


async def _content(session: AsyncSession, found: service.Room, standing: service.Standing, reported_at: str) -> dict[str, Any]:
    evaluation, tender = found.evaluation, found.tender
    lot = (await session.execute(select(Lot).where(Lot.tender_id == tender.id, Lot.number == evaluation.lot_number))).scalar_one()
    names = await service.bidder_names(session, standing.bids)
    result = json.loads(evaluation.result or "{}")
    return {
        "format": REPORT_FORMAT,
        "evaluation_id": evaluation.id,
        "tender": {"id": tender.id, "code": tender.code, "title": tender.title, "track": tender.track, "category": tender.category,
                   "method": tender.method},
        "lot": {"number": lot.number, "title": lot.title, "budget": str(to_yuan(lot.budget_fen))},
        "started_at": as_utc(evaluation.started_at).isoformat(),
        "reported_at": reported_at,
        "scheme": json.loads(evaluation.scheme),
        "members": [{"member_id": m.id, "name": m.name, "kind": "expert" if m.expert_id else "representative", "specialty": m.specialty}
                    for m in found.current],
        "voided": [{"member_id": m.id, "name": m.name, "reason": m.void_reason} for m in found.members if m.voided_at is not None],
        "bids": [{"bid_id": b.id, "organisation_id": b.organisation_id, "bidder": names.get(b.organisation_id, ""),
                  "price": str(service.bid_price(b)) if service.bid_price(b) is not None else None, "envelope_sha256": b.sha256}
                 for b in standing.bids],
        "checks": [{"member_id": c.member_id, "bid_id": c.bid_id, "passed": c.passed, "reason": c.reason} for c in standing.checks],
        "sheets": [{"member_id": s.member_id, "bid_id": s.bid_id, "points": json.loads(s.points)} for s in standing.sheets],
        "result": result,
        "outcome": _outcome(tender, result),
    }


def _outcome(tender: Tender, result: dict[str, Any]) -> dict[str, Any]:
    """Candidates, or a failed lot: fewer valid bids than the method's minimum (all rejected included)."""
    minimum = rules.rules_for(tender.track, tender.method).minimum_bids
    valid = len(result.get("ranked", []))
    if valid < int(minimum.value):  # type: ignore[call-overload]
        return {"kind": "failed", "valid_bids": valid, "minimum": minimum.value, "article": minimum.article,
                "reason": f"评标后有效投标不足{minimum.value}个（{minimum.article}）"}
    return {"kind": "candidates", "valid_bids": valid, "candidates": [b["bid_id"] for b in result["ranked"] if b["rank"] <= CANDIDATES]}


async def _store_pdf(session: AsyncSession, platform: Platform, evaluation: Evaluation, render_pdf: RenderPdf) -> None:
    complete = evaluation.status in (EvaluationStatus.signed, EvaluationStatus.failed)
    signed = await signatures(session, evaluation) if complete else []
    pdf = await render_pdf(PDF_TEMPLATE, pdf_context(json.loads(evaluation.report or "{}"), evaluation.report_digest, signed))
    suffix = "signed" if complete else "unsigned"
    key = f"evaluations/{evaluation.id}/report-{evaluation.report_digest[:16]}-{suffix}.pdf"
    stored = await put_bytes(platform.store, key, pdf, content_type="application/pdf")
    evaluation.report_key, evaluation.report_sha256 = key, stored.sha256
    await session.flush()


def pdf_context(content: dict[str, Any], digest: str, signatures: list[dict[str, Any]]) -> dict[str, Any]:
    """What the PDF template shows, from the canonical content: names for ids, Beijing times."""
    members = {m["member_id"]: m["name"] for m in content["members"] + content["voided"]}
    bidders = {b["bid_id"]: b["bidder"] for b in content["bids"]}
    criteria = {c["code"]: c["name"] for c in content["scheme"]["criteria"]}
    result = content["result"]
    return {
        "report": content,
        "digest": digest,
        "reported_at": to_display(datetime.fromisoformat(content["reported_at"])),
        "members": members,
        "bidders": bidders,
        "criteria": criteria,
        "ranked": result.get("ranked", []),
        "rejected": result.get("rejected", []),
        "disagreements": result.get("disagreements", []),
        "signatures": signatures,
        "unsigned": [m for m in content["members"] if m["member_id"] not in {s["member_id"] for s in signatures}],
    }


# --- Signing --------------------------------------------------------------------------------------------


async def sign(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int, key_id: int, signature_b64: str,
               dissent: str, render_pdf: RenderPdf) -> Evaluation:
    """A current member signs the report's digest (and their dissent); the last signature completes it."""
    found = await service.room(session, platform, actor, evaluation_id, write=True)
    me = service.require_member(found)
    evaluation = found.evaluation
    if evaluation.status != EvaluationStatus.reporting:
        raise Conflict(N_("there is no report waiting for signatures; the evaluation is %(status)s"), status=evaluation.status)
    key = await session.get(UserPublicKey, key_id)
    if key is None or key.user_id != actor.user_id or key.algorithm != KeyPurpose.signing or key.revoked_at is not None:
        raise InvalidInput.for_field("body.key_id", N_("is not an Ed25519 signing key of yours in force"))
    dissent = dissent.strip()
    if not _verifies(key.public_key, signature_b64, signed_message(evaluation.report_digest, dissent)):
        raise InvalidInput.for_field("body.signature", N_("does not verify with key %(key_id)s over the report's digest %(digest)s and the dissent"),
                                     key_id=key_id, digest=evaluation.report_digest)
    exists = (await session.execute(select(EvaluationSignature.id).where(
        EvaluationSignature.member_id == me.id, EvaluationSignature.report_digest == evaluation.report_digest))).first()
    if exists:
        raise Conflict(N_("you have already signed this report"))
    session.add(EvaluationSignature(evaluation_id=evaluation_id, member_id=me.id, report_digest=evaluation.report_digest,  # type: ignore[arg-type]
                                    signature=signature_b64, key_id=key_id, dissent=dissent, signed_at=platform.clock.now()))
    await session.flush()
    await audit.record(session, platform.clock, actor, "evaluation.report_signed", subject_type="evaluation", subject_id=evaluation_id,
                       details={"member_id": me.id, "report_sha256": evaluation.report_digest, "key_fingerprint": key.fingerprint,
                                "signature": signature_b64, "dissent": dissent})
    signed = {s["member_id"] for s in await signatures(session, evaluation)}
    if found.current_ids <= signed:
        await _complete(session, platform, actor, found, render_pdf)
    return evaluation


def _verifies(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64)).verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


async def signed_members(session: AsyncSession, evaluation: Evaluation) -> set[int]:
    """The members who signed the current report (none before it is drawn up)."""
    return {s["member_id"] for s in await signatures(session, evaluation)} if evaluation.report_digest else set()


async def signatures(session: AsyncSession, evaluation: Evaluation) -> list[dict[str, Any]]:
    """The signatures on the current report, by members not set aside, in signing order."""
    rows = (await session.execute(
        select(EvaluationSignature, EvaluationMember.name, UserPublicKey.fingerprint)
        .join(EvaluationMember, EvaluationMember.id == EvaluationSignature.member_id)  # type: ignore[arg-type]
        .join(UserPublicKey, UserPublicKey.id == EvaluationSignature.key_id)  # type: ignore[arg-type]
        .where(EvaluationSignature.evaluation_id == evaluation.id, EvaluationSignature.report_digest == evaluation.report_digest,
               EvaluationMember.voided_at.is_(None))  # type: ignore[union-attr]
        .order_by(EvaluationSignature.id)
    )).all()
    return [{"member_id": s.member_id, "name": name, "key_id": s.key_id, "key_fingerprint": fingerprint, "signature": s.signature,
             "dissent": s.dissent, "signed_at": as_utc(s.signed_at)} for s, name, fingerprint in rows]


async def _complete(session: AsyncSession, platform: Platform, actor: Actor, found: service.Room, render_pdf: RenderPdf) -> None:
    evaluation = found.evaluation
    content = json.loads(evaluation.report or "{}")
    outcome = content["outcome"]
    evaluation.status = EvaluationStatus.failed if outcome["kind"] == "failed" else EvaluationStatus.signed
    evaluation.signed_at = platform.clock.now()
    evaluation.outcome_reason = outcome.get("reason", "")
    await _store_pdf(session, platform, evaluation, render_pdf)
    await draws.reveal_after_evaluation(session, platform, evaluation.draw_id)
    await audit.record(session, platform.clock, actor, f"evaluation.{evaluation.status}", subject_type="evaluation", subject_id=evaluation.id,
                       details={"report_sha256": evaluation.report_digest, "pdf_sha256": evaluation.report_sha256, "outcome": outcome})
    tender = await session.get(Tender, evaluation.tender_id, with_for_update=True)
    assert tender is not None
    if outcome["kind"] == "failed":
        await _fail_lot(session, platform, tender, evaluation, outcome)
        return
    prices = {b["bid_id"]: b for b in content["bids"]}
    ranked = tuple(
        RankedBid(bid_id=b["bid_id"], organisation_id=prices[b["bid_id"]]["organisation_id"], rank=b["rank"], price=Decimal(b["price"]),
                  total=Decimal(b["total"]) if b["total"] is not None else None)
        for b in content["result"]["ranked"] if b["rank"] <= CANDIDATES
    )
    await award.receive_evaluation(session, platform, actor, EvaluatedLot(
        tender_id=tender.id, lot_number=evaluation.lot_number, evaluation_id=evaluation.id, report_digest=evaluation.report_digest,  # type: ignore[arg-type]
        reported_at=as_utc(evaluation.signed_at), ranked=ranked, committee_names=tuple(m["name"] for m in content["members"]),
    ))


async def _fail_lot(session: AsyncSession, platform: Platform, tender: Tender, evaluation: Evaluation, outcome: dict[str, Any]) -> None:
    """The lot fails (failed-tender notice); the tender too when no other lot is still alive."""
    facts: dict[str, object] = {"evaluation_id": evaluation.id, "valid_bids": {str(evaluation.lot_number): outcome["valid_bids"]},
                                "report_sha256": evaluation.report_digest}
    if await _other_lots_dead(session, tender, evaluation.lot_number):
        await tenders.fail(session, platform, None, tender, outcome["reason"], facts={"failed_lots": [evaluation.lot_number], **facts})
    else:
        await tenders.fail_lots(session, platform, tender, [evaluation.lot_number], outcome["reason"], facts=facts)


async def _other_lots_dead(session: AsyncSession, tender: Tender, lot_number: int) -> bool:
    """Every other lot failed already: at the deadline or the opening (too few opened bids), or in its evaluation."""
    minimum = int(rules.rules_for(tender.track, tender.method).minimum_bids.value)  # type: ignore[call-overload]
    failed = set((await session.execute(select(Evaluation.lot_number).where(
        Evaluation.tender_id == tender.id, Evaluation.status == EvaluationStatus.failed))).scalars())
    for lot in await tenders.lots_of(session, tender.id):  # type: ignore[arg-type]
        if lot.number != lot_number and lot.number not in failed and len(await service.opened_bids(session, tender.id, lot.number)) >= minimum:  # type: ignore[arg-type]
            return False
    return True


# --- Reading -------------------------------------------------------------------------------------------------


async def view(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> dict[str, Any]:
    """The report as drawn up, its digest and the signatures so far (the committee, the organiser, supervisors)."""
    found = await service.room(session, platform, actor, evaluation_id)
    evaluation = found.evaluation
    if evaluation.report is None:
        raise Conflict(N_("no report is drawn up yet"))
    return {"evaluation_id": evaluation.id, "status": evaluation.status, "report_sha256": evaluation.report_digest,
            "content": json.loads(evaluation.report), "pdf_sha256": evaluation.report_sha256,
            "signatures": await signatures(session, evaluation)}


async def pdf(session: AsyncSession, platform: Platform, actor: Actor, evaluation_id: int) -> tuple[Evaluation, str]:
    """The stored PDF's key (signed once complete), for the same readers as the report."""
    found = await service.room(session, platform, actor, evaluation_id)
    if not found.evaluation.report_key or found.evaluation.report is None:
        raise Conflict(N_("no report is drawn up yet"))
    return found.evaluation, found.evaluation.report_key
