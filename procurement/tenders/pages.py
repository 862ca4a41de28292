"""The public tender pages: the searchable list of published tenders and one tender's notice."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.errors import N_, InvalidInput
from procurement.tenders import documents, notices, progress, rules, search, service
from procurement.tenders.controllers import TenderId, decode_cursor, encode_cursor
from procurement.tenders.models import NoticeKind, Tender, TenderStatus
from procurement.tenders.money import to_yuan
from procurement.web.deps import DbSession, OptionalActor, PlatformDep
from procurement.web.i18n import gettext
from procurement.web.pages import page

PAGE_SIZE = 20
HOME_SIZE = 10
REGION = re.compile(r"^[0-9]{6}$")

# Labels of the stored codes: English message ids (English needs no catalogue entry for them).
TRACK_LABELS: dict[str, str] = {
    rules.Track.works: N_("Construction works"),
    rules.Track.government: N_("Government procurement"),
}
METHOD_LABELS: dict[str, str] = {
    rules.Method.open: N_("Open tender"),
    rules.Method.invited: N_("Invited tender"),
    rules.Method.negotiation: N_("Competitive negotiation"),
    rules.Method.consultation: N_("Competitive consultation"),
    rules.Method.quotation: N_("Request for quotation"),
    rules.Method.single_source: N_("Single-source procurement"),
}
CATEGORY_LABELS: dict[str, str] = {
    rules.Category.goods: N_("Goods"),
    rules.Category.services: N_("Services"),
    rules.Category.works: N_("Works"),
}
STATUS_LABELS: dict[str, str] = {
    TenderStatus.draft: N_("Draft"),
    TenderStatus.submitted: N_("Awaiting entry review"),
    TenderStatus.accepted: N_("Entry accepted"),
    TenderStatus.published: N_("Published (open for bids)"),
    TenderStatus.bidding_closed: N_("Bidding closed"),
    TenderStatus.opened: N_("Bids opened"),
    TenderStatus.evaluating: N_("Under evaluation"),
    TenderStatus.candidates_publicised: N_("Candidates publicised"),
    TenderStatus.awarded: N_("Awarded"),
    TenderStatus.contract_signed: N_("Contract signed"),
    TenderStatus.failed: N_("Failed"),
    TenderStatus.terminated: N_("Terminated"),
}
EVALUATION_LABELS: dict[str, str] = {
    "comprehensive_scoring": N_("Comprehensive scoring"),
    "lowest_price": N_("Lowest evaluated price"),
}
KIND_LABELS: dict[str, str] = {
    NoticeKind.tender: N_("Tender notice"),
    NoticeKind.amendment: N_("Amendment notice"),
    NoticeKind.failed: N_("Failed tender notice"),
    NoticeKind.candidates: N_("Candidates publicity"),
    NoticeKind.result: N_("Result notice"),
    NoticeKind.termination: N_("Termination notice"),
}
ONLINE = N_("Online, on this platform")


def label(labels: dict[str, str], code: str) -> str:
    return gettext(labels[code]) if code in labels else code


def yuan(fen: int) -> str:
    """"1,250,000.00": yuan with thousands separators."""
    amount: Decimal = to_yuan(fen)
    return f"{amount:,.2f}"


def row(tender: Tender) -> dict[str, Any]:
    return {
        "id": tender.id, "code": tender.code, "title": tender.title, "budget": yuan(tender.budget_fen),
        "method": label(METHOD_LABELS, tender.method), "track": label(TRACK_LABELS, tender.track),
        "category": label(CATEGORY_LABELS, tender.category), "status": label(STATUS_LABELS, tender.status),
        "published_at": tender.published_at, "bid_deadline": tender.bid_deadline,
    }


async def latest(session: AsyncSession, limit: int = HOME_SIZE) -> list[dict[str, Any]]:
    """The newest published tenders, for the home page."""
    return [row(t) for t in await search.search(session, search.Search(limit=limit))]


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [("", gettext("All"))] + [(code, gettext(message)) for code, message in labels.items()]


class TenderPages(Controller):
    tags = ["Pages"]

    @get("/tenders", summary="Published tenders: search and browse")
    async def find(
        self,
        request: Request,
        platform: PlatformDep,
        # Text, not enums: the search form sends its empty fields too; wrong values are
        # answered with the form and a field error.
        q: str = Parameter(default="", max_length=200, description="keyword: title or project code"),
        track: str = Parameter(default="", max_length=32),
        category: str = Parameter(default="", max_length=32),
        method: str = Parameter(default="", max_length=32),
        region: str = Parameter(default="", max_length=32, description="6-digit region code"),
        cursor: str = Parameter(default="", max_length=200),
    ) -> Template:
        values = {"q": q.strip(), "track": track.strip(), "category": category.strip(), "method": method.strip(),
                  "region": region.strip()}
        errors: list[tuple[str, str]] = []
        for name, labels in (("track", TRACK_LABELS), ("category", CATEGORY_LABELS), ("method", METHOD_LABELS)):
            if values[name] and values[name] not in labels:
                errors.append((name, gettext("Choose one of the options.")))
        if values["region"] and not REGION.match(values["region"]):
            errors.append(("region", gettext("Enter a region code of 6 digits, such as 460100.")))
        after = None
        if cursor:
            try:
                after = decode_cursor(cursor)
            except InvalidInput:
                errors.append(("", gettext("This link to a further page is not valid; search again.")))
        found: list[Any] = []  # rows of search.search: the list's columns, as row() reads them
        if not errors:
            found = await platform.db.read(search.reader(
                search.Search(
                    keyword=values["q"], region=values["region"] or None, track=values["track"] or None,
                    category=values["category"] or None, method=values["method"] or None, after=after, limit=PAGE_SIZE,
                ),
            ))
        last = found[-1] if len(found) == PAGE_SIZE else None
        next_query = None
        if last is not None and last.published_at is not None:
            next_query = {k: v for k, v in values.items() if v}
            next_query["cursor"] = encode_cursor(as_utc(last.published_at), last.id)  # type: ignore[arg-type]
        return page(
            request,
            "tenders/list.html",
            status_code=400 if errors else 200,
            tenders=[row(t) for t in found],
            values=values,
            errors=errors,
            field_labels={"q": gettext("Keyword"), "track": gettext("Track"), "category": gettext("Category"),
                          "method": gettext("Procurement method"), "region": gettext("Region code")},
            track_options=_options(TRACK_LABELS),
            category_options=_options(CATEGORY_LABELS),
            method_options=_options(METHOD_LABELS),
            next_query=next_query,
            paged=bool(cursor),
        )

    @get("/tenders/{tender_id:int}", summary="One tender's notice (published tenders; drafts only to those who may see them)")
    async def one(self, request: Request, session: DbSession, optional_actor: OptionalActor, tender_id: int = TenderId) -> Template:
        tender = await service.get_tender(session, optional_actor, tender_id)
        lots = [
            {"number": lot.number, "title": lot.title, "budget": yuan(lot.budget_fen), "bid_security": yuan(lot.bid_security_fen),
             "evaluation": label(EVALUATION_LABELS, lot.evaluation_method)}
            for lot in await service.lots_of(session, tender_id)
        ]
        amendments = [
            {"number": a.number, "amended_at": a.amended_at, "summary": a.summary,
             "moved": as_utc(a.deadline_after) != as_utc(a.deadline_before), "deadline_after": a.deadline_after}
            for a in await service.amendments_of(session, tender_id)
        ]
        names = await service.organisation_names(
            session, {tender.purchaser_organisation_id} | ({tender.agency_organisation_id} if tender.agency_organisation_id else set())
        )
        return page(
            request,
            "tenders/tender.html",
            tender=tender,
            info=row(tender),
            opening_place=gettext(ONLINE) if tender.opening_place == "online" else tender.opening_place,
            lots=lots,
            amendments=amendments,
            notices=await notices.of_tender(session, tender_id),
            stages=progress.stages(tender),
            documents=await documents.public_documents(session, tender_id),
            notice_kinds=KIND_LABELS,
            purchaser_name=names.get(tender.purchaser_organisation_id, ""),
            agency_name=names.get(tender.agency_organisation_id or 0, ""),
        )
