"""Public notices (公告): fixed at publication, tied to the audit log, never edited.

A notice's content is a snapshot of the facts it announces, taken when it is published and
stored as canonical JSON. Its page and its PDF are rendered from that snapshot, so a later
change to the tender (an amendment, a moved deadline) never rewrites what was announced:
the change is announced by a new notice that says which one it corrects.

The audit entry that publishes a notice carries the SHA-256 of that JSON. Anyone holding
the platform's public key can check, from the notice's audit position and a signed
checkpoint's inclusion proof, that this exact text was published at that time.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.audit.chain import canonical_json
from procurement.audit.models import AuditCheckpoint
from procurement.clock import as_utc
from procurement.errors import NotFound
from procurement.platform import Platform
from procurement.tenders.models import Amendment, Lot, Notice, NoticeKind, Tender
from procurement.tenders.money import to_yuan

# The official title of each kind, after the project's title (notices are published in Chinese).
TITLE_SUFFIX: dict[str, str] = {
    NoticeKind.tender: "招标（采购）公告",
    NoticeKind.amendment: "更正公告",
    NoticeKind.failed: "流标（废标）公告",
    NoticeKind.candidates: "中标候选人公示",
    NoticeKind.result: "中标（成交）结果公告",
    NoticeKind.termination: "终止公告",
    NoticeKind.opening: "开标记录",
    NoticeKind.contract: "合同公告",
}


def _at(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def tender_facts(tender: Tender, lots: list[Lot], names: dict[int, str]) -> dict[str, Any]:
    """What every notice of a tender states about it, as it stands now."""
    return {
        "tender_id": tender.id,
        "code": tender.code,
        "title": tender.title,
        "track": tender.track,
        "category": tender.category,
        "method": tender.method,
        "region": tender.region,
        "purchaser": names.get(tender.purchaser_organisation_id, ""),
        "agency": names.get(tender.agency_organisation_id) if tender.agency_organisation_id else None,
        "budget": str(to_yuan(tender.budget_fen)),
        "lots": [
            {
                "number": lot.number, "title": lot.title, "budget": str(to_yuan(lot.budget_fen)),
                "bid_security": str(to_yuan(lot.bid_security_fen)), "evaluation_method": lot.evaluation_method,
                # The criteria and points bidders are judged by: published, so no later change goes unseen.
                "evaluation_scheme": json.loads(lot.evaluation_scheme),
            }
            for lot in lots
        ],
        "timeline": {
            "documents_from": _at(tender.documents_from),
            "documents_until": _at(tender.documents_until),
            "questions_until": _at(tender.questions_until),
            "bid_deadline": _at(tender.bid_deadline),
            "opening_place": tender.opening_place,
            "release_minutes": tender.release_minutes,
        },
        "contact": {"name": tender.contact_name, "phone": tender.contact_phone},
        "qualifications": tender.qualifications,
    }


def amendment_facts(amendment: Amendment) -> dict[str, Any]:
    return {
        "number": amendment.number,
        "summary": amendment.summary,
        "deadline_before": _at(amendment.deadline_before),
        "deadline_after": _at(amendment.deadline_after),
        "deadline_moved": as_utc(amendment.deadline_after) != as_utc(amendment.deadline_before),
    }


async def _names(session: AsyncSession, tender: Tender) -> dict[int, str]:
    from procurement.tenders.service import (
        organisation_names,  # the service imports this module
    )

    return await organisation_names(
        session, {tender.purchaser_organisation_id} | ({tender.agency_organisation_id} if tender.agency_organisation_id else set())
    )


async def publish(
    session: AsyncSession,
    platform: Platform,
    actor: Actor | None,
    tender: Tender,
    kind: NoticeKind,
    *,
    lots: list[Lot],
    details: dict[str, Any] | None = None,
    corrects: Notice | None = None,
) -> Notice:
    """Publish a notice of ``kind`` about ``tender`` now, in the caller's transaction.

    ``details`` are the kind's own facts (the amendment, the reason for failure...), stated
    beside the tender's. The caller holds the tender's row lock, which orders the numbers.
    """
    now = platform.clock.now()
    number = (await session.execute(select(func.coalesce(func.max(Notice.number), 0)).where(Notice.tender_id == tender.id))).scalar_one() + 1
    content = {
        "kind": kind.value,
        "number": number,
        "published_at": now.isoformat(),
        "corrects": corrects.number if corrects else None,
        "tender": tender_facts(tender, lots, await _names(session, tender)),
        "details": details or {},
    }
    content_json = canonical_json(content)
    digest = hashlib.sha256(content_json.encode()).hexdigest()
    entry = await audit.record(
        session, platform.clock, actor, "notice.published", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id,
        details={"notice_number": number, "kind": kind.value, "content_sha256": digest},
    )
    notice = Notice(
        tender_id=tender.id,  # type: ignore[arg-type]
        number=number,
        kind=kind.value,
        title=f"{tender.title}{TITLE_SUFFIX[kind]}",
        content=content_json,
        content_sha256=digest,
        published_at=now,
        audit_seq=entry.seq,
        audit_entry_hash=entry.entry_hash,
        corrects_notice_id=corrects.id if corrects else None,
    )
    session.add(notice)
    await session.flush()
    return notice


async def latest_of_kind(session: AsyncSession, tender_id: int, kind: NoticeKind) -> Notice | None:
    query = select(Notice).where(Notice.tender_id == tender_id, Notice.kind == kind.value).order_by(Notice.number.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def of_tender(session: AsyncSession, tender_id: int) -> list[Notice]:
    return list((await session.execute(select(Notice).where(Notice.tender_id == tender_id).order_by(Notice.number))).scalars())


async def get(session: AsyncSession, notice_id: int) -> Notice:
    """A published notice. Notices exist only for public tenders, so anyone may read one."""
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("no notice %(id)s", id=notice_id)
    return notice


async def covering_checkpoint(session: AsyncSession, notice: Notice) -> AuditCheckpoint | None:
    """The first signed checkpoint whose tree includes the notice's audit entry, if one exists yet."""
    query = select(AuditCheckpoint).where(AuditCheckpoint.tree_size >= notice.audit_seq).order_by(AuditCheckpoint.tree_size).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


def content_of(notice: Notice) -> dict[str, Any]:
    return json.loads(notice.content)  # type: ignore[no-any-return]


def verify_content(notice: Notice) -> bool:
    """Whether the stored text still has the digest the audit log recorded at publication."""
    return hashlib.sha256(notice.content.encode()).hexdigest() == notice.content_sha256
