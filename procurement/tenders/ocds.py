"""OCDS 1.1 open data: one immutable release per public change of a tender, records, packages.

Identifiers. ``ocid`` is the registered prefix (setting ``ocds_prefix``) and the tender's
project code: ``ocds-hkggzy-460100-2026-GC-0001``. The code is unique, never changes and is
what notices print, so a reader can go from a paper notice to its data. A release id is the
ocid and the release's number within the tender: ``...-0001-3``.

Releases are full snapshots: each states everything public about the tender as it stands
when the change commits (not a diff), so any single release can be read alone. The compiled
release of a record is nevertheless built with the OCDS merge rules (``compile_releases``),
which for snapshots gives the newest release, plus anything an older one said that no later
one contradicts.

Only the core release schema is used: lots (标段) are ``tender.items`` (one item per lot,
quantity 1, the lot's budget as the unit value), since no lots extension ships with the
platform. Money is stored in fen; OCDS amounts are in yuan, as JSON numbers written exactly.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.audit import service as audit
from procurement.audit.chain import canonical_json
from procurement.clock import as_utc, to_display
from procurement.identity.models import Organisation
from procurement.platform import Platform
from procurement.tenders.document_models import TenderDocument, TenderDocumentVersion
from procurement.tenders.models import (
    Amendment,
    Lot,
    Notice,
    NoticeKind,
    Tender,
    TenderStatus,
)
from procurement.tenders.release_models import Release

OCDS_VERSION = "1.1"
CURRENCY = "CNY"
# Parties are identified by their unified social credit code (GB 32100-2015). Check the scheme
# code against org-id.guide before publishing; the party ids follow it.
ORG_ID_SCHEME = "CN-USCC"

# The closed releaseTag codelist (OCDS 1.1), less "compiled", which only a record may carry.
RELEASE_TAGS = frozenset({
    "planning", "planningUpdate", "tender", "tenderAmendment", "tenderUpdate", "tenderCancellation", "award",
    "awardUpdate", "awardCancellation", "contract", "contractUpdate", "contractAmendment", "implementation",
    "implementationUpdate", "contractTermination",
})

# Our states that are public, and the OCDS tender status each shows (closed tenderStatus codelist).
# A tender in any other state has no releases: it is nobody's business yet.
TENDER_STATUS: dict[str, str] = {
    TenderStatus.published: "active",
    TenderStatus.bidding_closed: "active",
    TenderStatus.opened: "active",
    TenderStatus.evaluating: "active",
    TenderStatus.candidates_publicised: "active",
    TenderStatus.awarded: "complete",
    TenderStatus.contract_signed: "complete",
    TenderStatus.failed: "unsuccessful",
    TenderStatus.terminated: "cancelled",
}

# Our methods on the closed OCDS method codelist, with the legal name kept in the details.
# 询价 and the non-tender methods: the procuring side picks or screens whom it asks (limited).
METHODS: dict[str, tuple[str, str]] = {
    "open": ("open", "公开招标"),
    "invited": ("selective", "邀请招标"),
    "negotiation": ("limited", "竞争性谈判"),
    "consultation": ("limited", "竞争性磋商"),
    "quotation": ("limited", "询价"),
    "single_source": ("direct", "单一来源采购"),
}
AWARD_CRITERIA: dict[str, tuple[str, str]] = {
    "comprehensive_scoring": ("ratedCriteria", "综合评分法"),
    "lowest_price": ("priceOnly", "最低评标价法"),
}
DOCUMENT_TYPES: dict[str, str] = {"tender_documents": "biddingDocuments", "attachment": "technicalSpecifications"}
NOTICE_DOCUMENT_TYPES: dict[str, str] = {
    NoticeKind.tender: "tenderNotice",
    NoticeKind.amendment: "clarifications",
    NoticeKind.failed: "tenderNotice",
    NoticeKind.termination: "tenderNotice",
    NoticeKind.candidates: "evaluationReports",
    NoticeKind.result: "awardNotice",
}


def ocid_for(prefix: str, tender: Tender) -> str:
    return f"{prefix}-{tender.code}"


def _at(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _amount(fen: int) -> int | float:
    """Yuan as a JSON number. Below 10^15 fen every value has at most 15 significant digits,
    so the float's shortest repr is exactly the decimal yuan (API budgets stay below 10^13)."""
    if abs(fen) >= 10**15:
        raise ValueError("amount too large to write exactly")
    return fen // 100 if fen % 100 == 0 else fen / 100


def _value(fen: int) -> dict[str, Any]:
    return {"amount": _amount(fen), "currency": CURRENCY}


def _party_id(org: Organisation) -> str:
    return f"{ORG_ID_SCHEME}-{org.uscc}"


def _party(org: Organisation, roles: list[str], contact: dict[str, str] | None) -> dict[str, Any]:
    party: dict[str, Any] = {
        "id": _party_id(org),
        "name": org.name,
        "identifier": {"scheme": ORG_ID_SCHEME, "id": org.uscc, "legalName": org.name},
        "roles": roles,
    }
    if org.address:
        party["address"] = {"streetAddress": org.address, "countryName": "中国"}
    if contact:
        party["contactPoint"] = contact
    return party


def _without_empty(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v not in (None, "", [], {})}


def _items(lots: list[Lot]) -> list[dict[str, Any]]:
    return [
        {"id": str(lot.number), "description": lot.title, "quantity": 1, "unit": {"name": "标段", "value": _value(lot.budget_fen)}}
        for lot in lots
    ]


def _award_criteria(lots: list[Lot]) -> dict[str, Any]:
    """One awardCriteria code when every lot is evaluated alike; the details name each lot's method."""
    methods = {lot.evaluation_method for lot in lots}
    details = "；".join(f"第{lot.number}标段：{AWARD_CRITERIA.get(lot.evaluation_method, ('', lot.evaluation_method))[1]}" for lot in lots)
    only = next(iter(methods)) if len(methods) == 1 else None
    return {"awardCriteria": AWARD_CRITERIA[only][0] if only in AWARD_CRITERIA else None, "awardCriteriaDetails": details}


def _amendments(amendments: list[Amendment], amendment_release_ids: list[str], release_ids: list[str]) -> list[dict[str, Any]]:
    """The tender's amendments, each tied to the release that announced it and the one before.

    Each amendment produced one release tagged ``tenderAmendment``; they pair up in order,
    aligned on the newest (an amendment made before releases were recorded has no release).
    """
    paired = dict(zip(reversed([a.number for a in amendments]), reversed(amendment_release_ids), strict=False))
    found = []
    for amendment in amendments:
        moved = as_utc(amendment.deadline_after) != as_utc(amendment.deadline_before)
        entry: dict[str, Any] = {
            "id": str(amendment.number),
            "date": _at(amendment.amended_at),
            "rationale": amendment.summary,
            "description": (
                f"投标截止时间由 {to_display(amendment.deadline_before):%Y-%m-%d %H:%M} 延至 {to_display(amendment.deadline_after):%Y-%m-%d %H:%M}（北京时间）"
                if moved else "投标截止时间不变"
            ),
        }
        release_id = paired.get(amendment.number)
        if release_id is not None:
            entry["releaseID"] = release_id
            position = release_ids.index(release_id)
            if position > 0:
                entry["amendsReleaseID"] = release_ids[position - 1]
        found.append(entry)
    return found


def _documents(base_url: str, documents: list[tuple[TenderDocument, TenderDocumentVersion, datetime]], notices: list[Notice]) -> list[dict[str, Any]]:
    found = []
    for notice in notices:
        found.append(_without_empty({
            "id": f"notice-{notice.id}",
            "documentType": NOTICE_DOCUMENT_TYPES.get(notice.kind),
            "title": notice.title,
            "url": f"{base_url}/notices/{notice.id}/pdf",
            "datePublished": _at(notice.published_at),
            "format": "application/pdf",
            "language": "zh",
        }))
    for document, latest, first_uploaded in documents:
        found.append(_without_empty({
            "id": f"document-{document.id}",
            "documentType": DOCUMENT_TYPES.get(document.kind),
            "title": document.name,
            # Public for the tender's whole life (招标文件全程挂网); the digest lets anyone check a copy.
            "url": f"{base_url}/api/tenders/{document.tender_id}/documents/{document.id}/versions/{latest.version}",
            "description": f"第 {latest.version} 版，{latest.size} 字节，SHA-256 {latest.sha256}",
            "datePublished": _at(first_uploaded),
            "dateModified": _at(latest.uploaded_at),
            "format": latest.content_type,
            "language": "zh",
        }))
    return found


def build_release(
    *,
    ocid: str,
    release_id: str,
    date: datetime,
    tags: list[str],
    tender: Tender,
    lots: list[Lot],
    purchaser: Organisation,
    agency: Organisation | None,
    amendments: list[dict[str, Any]],
    documents: list[dict[str, Any]],
) -> dict[str, Any]:
    """The release for the tender as it stands: a pure function of what it is given."""
    contact = _without_empty({"name": tender.contact_name, "telephone": tender.contact_phone}) or None
    # The procuring entity runs the procedure: the agency when there is one.
    procuring = agency or purchaser
    parties = [_party(purchaser, ["buyer"] if agency else ["buyer", "procuringEntity"], None if agency else contact)]
    if agency:
        parties.append(_party(agency, ["procuringEntity"], contact))
    method, method_name = METHODS[tender.method]
    online = tender.opening_place == "online"
    enquiry = {"startDate": _at(tender.documents_from), "endDate": _at(tender.questions_until)} if tender.questions_until else None
    tender_section = _without_empty({
        "id": tender.code,
        "title": tender.title,
        "status": TENDER_STATUS[tender.status],
        "procuringEntity": {"id": _party_id(procuring), "name": procuring.name},
        "items": _items(lots),
        "value": _value(tender.budget_fen),
        "procurementMethod": method,
        "procurementMethodDetails": method_name,
        "mainProcurementCategory": tender.category,
        **_without_empty(_award_criteria(lots)),
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": "电子投标，网上开标（不见面开标）" if online else f"电子投标，开标地点：{tender.opening_place}",
        "tenderPeriod": {"startDate": _at(tender.documents_from), "endDate": _at(tender.bid_deadline)},
        "enquiryPeriod": enquiry,
        "eligibilityCriteria": tender.qualifications,
        "documents": documents,
        "amendments": amendments,
    })
    return {
        "ocid": ocid,
        "id": release_id,
        "date": _at(date),
        "tag": list(tags),
        "initiationType": "tender",
        "language": "zh",
        "parties": parties,
        "buyer": {"id": _party_id(purchaser), "name": purchaser.name},
        "planning": {"budget": {"amount": _value(tender.budget_fen), "description": "预算金额"}},
        "tender": tender_section,
    }


async def _documents_of(session: AsyncSession, tender_id: int) -> list[tuple[TenderDocument, TenderDocumentVersion, datetime]]:
    """Each document of the tender with its newest version and when its first version came."""
    versions = (
        await session.execute(
            select(TenderDocumentVersion).where(TenderDocumentVersion.tender_id == tender_id).order_by(TenderDocumentVersion.document_id, TenderDocumentVersion.version)
        )
    ).scalars().all()
    newest: dict[int, TenderDocumentVersion] = {}
    first: dict[int, datetime] = {}
    for version in versions:
        newest[version.document_id] = version
        first.setdefault(version.document_id, version.uploaded_at)
    if not newest:
        return []
    documents = (
        await session.execute(select(TenderDocument).where(TenderDocument.id.in_(newest)).order_by(TenderDocument.id))  # type: ignore[union-attr]
    ).scalars().all()
    return [(d, newest[d.id], first[d.id]) for d in documents]  # type: ignore[index]


async def record_release(session: AsyncSession, platform: Platform, tender: Tender, tags: list[str]) -> Release:
    """Record the tender's current public state as a new release, in the caller's transaction.

    Call it after the change and its notice are flushed, so the release states both. The
    release is never updated afterwards: a later change makes a later release.

    Ordering (why the change feed can trust ``Release.id``): the audit entry below takes the
    audit head's row lock (PostgreSQL) or runs under SQLite's single write lock, held until
    this transaction ends. The release row, its id and its date are all made after that, so
    ids and dates follow commit order: no release with a smaller id can commit later.
    """
    if tender.status not in TENDER_STATUS:
        raise ValueError(f"tender {tender.id} is {tender.status}: only public tenders have releases")
    unknown = set(tags) - RELEASE_TAGS
    if not tags or unknown:
        raise ValueError(f"release tags must come from the releaseTag codelist: {sorted(unknown) or tags}")
    ocid = ocid_for(platform.settings.ocds_prefix, tender)
    earlier = (
        await session.execute(select(Release.release_id, Release.tags).where(Release.tender_id == tender.id).order_by(Release.id))
    ).all()
    release_id = f"{ocid}-{len(earlier) + 1}"
    await audit.record(
        session, platform.clock, None, "tender.release_recorded", subject_type="tender", subject_id=tender.id,
        organisation_id=tender.owner_organisation_id, details={"ocid": ocid, "release_id": release_id, "tags": list(tags)},
    )
    date = platform.clock.now()  # after the lock: dates never run backwards along the ids
    release_ids = [row.release_id for row in earlier] + [release_id]
    amendment_release_ids = [row.release_id for row in earlier if "tenderAmendment" in json.loads(row.tags)]
    if "tenderAmendment" in tags:
        amendment_release_ids.append(release_id)
    lots = list((await session.execute(select(Lot).where(Lot.tender_id == tender.id).order_by(Lot.number))).scalars())
    amendments = list((await session.execute(select(Amendment).where(Amendment.tender_id == tender.id).order_by(Amendment.number))).scalars())
    notices = list((await session.execute(select(Notice).where(Notice.tender_id == tender.id).order_by(Notice.number))).scalars())
    purchaser = await session.get(Organisation, tender.purchaser_organisation_id)
    agency = await session.get(Organisation, tender.agency_organisation_id) if tender.agency_organisation_id else None
    assert purchaser is not None
    data = build_release(
        ocid=ocid, release_id=release_id, date=date, tags=tags, tender=tender, lots=lots, purchaser=purchaser, agency=agency,
        amendments=_amendments(amendments, amendment_release_ids, release_ids),
        documents=_documents(platform.settings.base_url, await _documents_of(session, tender.id), notices),  # type: ignore[arg-type]
    )
    release = Release(
        tender_id=tender.id,  # type: ignore[arg-type]
        ocid=ocid, release_id=release_id, date=date, tags=json.dumps(list(tags)), data=canonical_json(data),
    )
    session.add(release)
    await session.flush()
    return release


# --- Records and packages --------------------------------------------------------------------------

# Fields the merge leaves out of a compiled release (``omitWhenMerged`` in the release schema).
_OMIT_WHEN_MERGED = ("id", "date", "tag")


def _merge(into: Any, value: Any) -> Any:
    """One release merged onto the compiled state (OCDS 1.1 merging, without versions).

    Objects merge field by field; a null removes a field; arrays of objects with an ``id``
    merge item by item on that id (first appearance keeps its place); other arrays and
    values replace what was there. (No array we write is marked ``wholeListMerge``.)
    """
    if isinstance(value, dict):
        merged = dict(into) if isinstance(into, dict) else {}
        for key, item in value.items():
            if item is None:
                merged.pop(key, None)
            else:
                merged[key] = _merge(merged.get(key), item)
        return merged
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        by_id = {str(v["id"]): v for v in into} if isinstance(into, list) and all(isinstance(v, dict) and "id" in v for v in into) else {}
        for item in value:
            key = str(item["id"])
            by_id[key] = _merge(by_id.get(key), item)
        return list(by_id.values())
    return value


def compile_releases(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one ocid's releases, oldest first."""
    if not releases:
        raise ValueError("a record needs at least one release")
    compiled: dict[str, Any] = {}
    for release in releases:
        compiled = _merge(compiled, {k: v for k, v in release.items() if k not in _OMIT_WHEN_MERGED})
    last = releases[-1]
    return {**compiled, "id": f"{last['ocid']}-compiled-{len(releases)}", "date": last["date"], "tag": ["compiled"]}


def publisher(platform: Platform) -> dict[str, Any]:
    return {"name": platform.settings.ocds_publisher, "uri": platform.settings.base_url}


def release_package(platform: Platform, uri: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """A release package; published "on demand", so dated by its newest release."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publisher": publisher(platform),
        "publishedDate": max(r["date"] for r in releases),
        "releases": releases,
    }


def record_package(platform: Platform, uri: str, releases_uri: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """A record package of one ocid: linked releases (in the release package at ``releases_uri``) and the compiled release."""
    compiled = compile_releases(releases)
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publisher": publisher(platform),
        "publishedDate": compiled["date"],
        "packages": [releases_uri],
        "records": [
            {
                "ocid": compiled["ocid"],
                "releases": [{"url": f"{releases_uri}#{r['id']}", "date": r["date"], "tag": r["tag"]} for r in releases],
                "compiledRelease": compiled,
            }
        ],
    }


async def releases_of(session: AsyncSession, tender_id: int) -> list[dict[str, Any]]:
    """The tender's releases, oldest first (id order is commit order, see ``record_release``)."""
    rows = (await session.execute(select(Release.data).where(Release.tender_id == tender_id).order_by(Release.id))).scalars()
    return [json.loads(data) for data in rows]


async def count_releases(session: AsyncSession, tender_id: int) -> int:
    return (await session.execute(select(func.count()).select_from(Release).where(Release.tender_id == tender_id))).scalar_one()
