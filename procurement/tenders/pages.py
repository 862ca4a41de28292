"""The public tender pages: the searchable list of published tenders and one tender's notice."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import MediaType
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.evaluation import scoring
from procurement.actor import Actor
from procurement.clock import DISPLAY_ZONE, as_utc
from procurement.errors import N_, Conflict, DomainError, Forbidden, InvalidInput
from procurement.i18n import gettext
from procurement.identity.models import OrganisationKind, Role
from procurement.platform import Platform
from procurement.tenders import documents, notices, progress, rules, search, service
from procurement.tenders.controllers import (
    YUAN_PATTERN,
    TenderIdPath,
    decode_cursor,
    encode_cursor,
)
from procurement.tenders.document_models import DocumentObtained
from procurement.tenders.models import Lot, NoticeKind, Tender, TenderStatus
from procurement.tenders.money import to_fen, to_yuan
from procurement.web.deps import CurrentActor, DbSession, OptionalActor, PlatformDep
from procurement.web.guards import requires_roles
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
    NoticeKind.opening: N_("Opening record"),
    NoticeKind.contract: N_("Contract publication"),
}
ONLINE = N_("Online, on this platform")


def label(labels: dict[str, str], code: str) -> str:
    return gettext(labels[code]) if code in labels else code


def yuan(fen: int) -> str:
    """"1,250,000.00": yuan with thousands separators."""
    amount: Decimal = to_yuan(fen)
    return f"{amount:,.2f}"


CRITERION_KIND_LABELS: dict[str, str] = {"price": N_("price"), "technical": N_("technical"), "commercial": N_("commercial")}
TIE_RULES: dict[tuple[str, str], str] = {
    ("comprehensive_scoring", "lower_price"): N_("Equal totals: the lower price ranks first"),
    ("comprehensive_scoring", "higher_technical"): N_("Equal totals: the higher technical score ranks first"),
    ("comprehensive_scoring", "earlier_submission"): N_("Equal totals: the earlier bid ranks first"),
    ("lowest_price", "lower_price"): N_("Equal prices rank equal"),
    ("lowest_price", "earlier_submission"): N_("Equal prices: the earlier bid ranks first"),
}


def lot_row(lot: Lot) -> dict[str, Any]:
    """A lot as the lots table (templates/tenders/_lots.html) shows it, with its evaluation scheme."""
    return {"number": lot.number, "title": lot.title, "budget": yuan(lot.budget_fen), "bid_security": yuan(lot.bid_security_fen),
            **scheme_view(service.scheme_of(lot))}


def scheme_view(scheme: scoring.Scheme) -> dict[str, Any]:
    """An evaluation scheme as templates/tenders/_scheme.html shows it (lots tables, tender notices)."""
    scored = scheme.method == "comprehensive_scoring"  # a lowest-price lot's one criterion is its price: nothing to list
    return {
        "evaluation": label(EVALUATION_LABELS, scheme.method),
        "criteria": [
            {"name": c.name, "kind": label(CRITERION_KIND_LABELS, c.kind), "points": f"{c.points.normalize():f}"} for c in scheme.criteria
        ] if scored else [],
        "discard_extremes": scheme.discard_extremes,
        "ties": gettext(TIE_RULES[scheme.method, scheme.tie_break]),
    }


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


# The states a search may ask for: the public ones, in the order of a tender's life.
PUBLIC_STATUS_LABELS = {code: message for code, message in STATUS_LABELS.items() if code in service.PUBLIC_STATES}
# The list's filters, in the form's order; the next-page link carries those in use.
FILTERS = ("q", "track", "category", "method", "status", "region", "published_from", "published_to", "budget_min", "budget_max")
_MONEY_SEPARATORS = re.compile(r"[,，\s]")
# A refused form comes back as a page (HTML): say so in the OpenAPI.
PAGE_AGAIN = {
    403: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The page again: this organisation may not do it"),
    409: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The page again: not possible now"),
}


def _beijing_midnight(day: date) -> datetime:
    """00:00 Beijing time of the day, in UTC: the list's dates are days as people in Hainan live them."""
    return as_utc(datetime.combine(day, time(), DISPLAY_ZONE))


def _filters(values: dict[str, str], errors: list[tuple[str, str]]) -> search.Search | None:
    """The search the form asks for, or None when a field is wrong (its error added to ``errors``)."""
    for name, labels in (("track", TRACK_LABELS), ("category", CATEGORY_LABELS), ("method", METHOD_LABELS),
                         ("status", PUBLIC_STATUS_LABELS)):
        if values[name] and values[name] not in labels:
            errors.append((name, gettext("Choose one of the options.")))
    if values["region"] and not REGION.match(values["region"]):
        errors.append(("region", gettext("Enter a region code of 6 digits, such as 460100.")))
    # Days: from 00:00 of the first through the end of the last (Search's upper bound is exclusive).
    bounds: dict[str, datetime] = {}
    days: dict[str, date] = {}
    for name, shift in (("published_from", 0), ("published_to", 1)):
        if values[name]:
            try:
                days[name] = date.fromisoformat(values[name])
                bounds[name] = _beijing_midnight(days[name] + timedelta(days=shift))
            except (ValueError, OverflowError):
                errors.append((name, gettext("Enter a date, such as 2026-03-01.")))
    if len(days) == 2 and days["published_to"] < days["published_from"]:
        errors.append(("published_to", gettext("The last day must not be before the first day.")))
    amounts: dict[str, int] = {}
    for name in ("budget_min", "budget_max"):
        if values[name]:
            typed = _MONEY_SEPARATORS.sub("", values[name])  # 1,250,000.00 is how people write amounts
            if re.match(YUAN_PATTERN, typed):
                amounts[name] = to_fen(Decimal(typed))
            else:
                errors.append((name, gettext("Enter an amount in yuan, such as 500000 or 1,250,000.00.")))
    if len(amounts) == 2 and amounts["budget_max"] < amounts["budget_min"]:
        errors.append(("budget_max", gettext("The highest budget must not be below the lowest.")))
    if errors:
        return None
    return search.Search(
        keyword=values["q"], region=values["region"] or None, track=values["track"] or None,
        category=values["category"] or None, method=values["method"] or None, status=values["status"] or None,
        published_from=bounds.get("published_from"), published_until=bounds.get("published_to"),
        budget_min_fen=amounts.get("budget_min"), budget_max_fen=amounts.get("budget_max"), limit=PAGE_SIZE,
    )


def is_supplier(actor: Actor | None) -> bool:
    """Who obtains tender documents: a supplier user acting for a supplier organisation (as ``documents.obtain``)."""
    return actor is not None and actor.has(Role.supplier) and actor.organisation_kind == OrganisationKind.supplier


async def _obtaining(session: AsyncSession, platform: Platform, actor: Actor | None, tender: Tender,
                     has_documents: bool) -> dict[str, Any] | None:
    """What the page tells a supplier about obtaining the documents; None for everyone else.

    ``state``: obtained (with when), open (the button), before (on offer later), closed, or
    no_documents (none uploaded yet). The service decides again on the POST; this only
    chooses what to offer.
    """
    if not is_supplier(actor):
        return None
    assert actor is not None
    record = (await session.execute(
        select(DocumentObtained).where(DocumentObtained.tender_id == tender.id, DocumentObtained.organisation_id == actor.organisation_id)
    )).scalar_one_or_none()
    opens, closes = as_utc(tender.documents_from), as_utc(tender.documents_until)
    now = platform.clock.now()
    if record is not None:
        state = "obtained"
    elif tender.status != TenderStatus.published:
        return None  # nothing to offer any more (or yet): the page says nothing about it
    elif now < opens:
        state = "before"
    elif now > closes:
        state = "closed"
    else:
        state = "open" if has_documents else "no_documents"
    return {"state": state, "obtained_at": record.obtained_at if record else None, "opens": opens, "closes": closes}


async def _tender_page(request: Request, session: AsyncSession, platform: Platform, actor: Actor | None, tender: Tender, *,
                       errors: list[tuple[str, str]] | None = None, done: str = "", status_code: int = 200) -> Template:
    tender_id: int = tender.id  # type: ignore[assignment]
    lots = [lot_row(lot) for lot in await service.lots_of(session, tender_id)]
    amendments = [
        {"number": a.number, "amended_at": a.amended_at, "summary": a.summary,
         "moved": as_utc(a.deadline_after) != as_utc(a.deadline_before), "deadline_after": a.deadline_after}
        for a in await service.amendments_of(session, tender_id)
    ]
    names = await service.organisation_names(
        session, {tender.purchaser_organisation_id} | ({tender.agency_organisation_id} if tender.agency_organisation_id else set())
    )
    public_documents = await documents.public_documents(session, tender_id)
    return page(
        request,
        "tenders/tender.html",
        status_code=status_code,
        tender=tender,
        info=row(tender),
        opening_place=gettext(ONLINE) if tender.opening_place == "online" else tender.opening_place,
        lots=lots,
        amendments=amendments,
        notices=await notices.of_tender(session, tender_id),
        stages=progress.stages(tender),
        documents=public_documents,
        obtaining=await _obtaining(session, platform, actor, tender, any(d.versions for d in public_documents)),
        notice_kinds=KIND_LABELS,
        purchaser_name=names.get(tender.purchaser_organisation_id, ""),
        agency_name=names.get(tender.agency_organisation_id or 0, ""),
        errors=errors or [],
        field_labels={},
        done=done,
    )


class TenderPages(Controller):
    tags = ["Pages"]

    @get("/tenders", summary="Published tenders: search and browse")
    async def find(
        self,
        request: Request,
        platform: PlatformDep,
        # Text, not enums, dates or numbers: the search form sends its empty fields too; wrong
        # values are answered with the form and a field error.
        q: Annotated[str, QueryParameter(max_length=200, description="keyword: title or project code")] = "",
        track: Annotated[str, QueryParameter(max_length=32)] = "",
        category: Annotated[str, QueryParameter(max_length=32)] = "",
        method: Annotated[str, QueryParameter(max_length=32)] = "",
        status: Annotated[str, QueryParameter(max_length=32, description="a public state, such as published")] = "",
        region: Annotated[str, QueryParameter(max_length=32, description="6-digit region code")] = "",
        published_from: Annotated[str, QueryParameter(max_length=32, description="first day of publication, Beijing time (2026-03-01)")] = "",
        published_to: Annotated[str, QueryParameter(max_length=32, description="last day of publication, Beijing time, inclusive")] = "",
        budget_min: Annotated[str, QueryParameter(max_length=32, description="lowest budget in yuan")] = "",
        budget_max: Annotated[str, QueryParameter(max_length=32, description="highest budget in yuan")] = "",
        cursor: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Template:
        typed = {"q": q, "track": track, "category": category, "method": method, "status": status, "region": region,
                 "published_from": published_from, "published_to": published_to, "budget_min": budget_min, "budget_max": budget_max}
        values = {name: typed[name].strip() for name in FILTERS}
        errors: list[tuple[str, str]] = []
        wanted = _filters(values, errors)
        after = None
        if cursor:
            try:
                after = decode_cursor(cursor)
            except InvalidInput:
                errors.append(("", gettext("This link to a further page is not valid; search again.")))
        found: list[Any] = []  # rows of search.search: the list's columns, as row() reads them
        if wanted is not None and not errors:
            found = await platform.db.read(search.reader(replace(wanted, after=after)))
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
                          "method": gettext("Procurement method"), "status": gettext("Status"), "region": gettext("Region code"),
                          "published_from": gettext("Published from"), "published_to": gettext("Published until"),
                          "budget_min": gettext("Budget from (yuan)"), "budget_max": gettext("Budget up to (yuan)")},
            track_options=_options(TRACK_LABELS),
            category_options=_options(CATEGORY_LABELS),
            method_options=_options(METHOD_LABELS),
            status_options=_options(PUBLIC_STATUS_LABELS),
            next_query=next_query,
            paged=bool(cursor),
        )

    @get("/tenders/{tender_id:int}", summary="One tender's notice (published tenders; drafts only to those who may see them)")
    async def one(
        self, request: Request, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, tender_id: TenderIdPath,
        done: Annotated[str, QueryParameter(max_length=20)] = "",
    ) -> Template:
        tender = await service.get_tender(session, optional_actor, tender_id)
        return await _tender_page(request, session, platform, optional_actor, tender, done=done)

    @post("/tenders/{tender_id:int}/obtain", summary="Obtain the tender documents (获取招标文件) from the tender's page",
          description="As POST /api/tenders/{tender_id}/obtained, for a supplier's cookie session; back to the tender's page.",
          guards=[requires_roles(Role.supplier)], status_code=303, responses=PAGE_AGAIN)
    async def obtain(
        self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Any:
        try:
            await documents.obtain(session, platform, actor, tender_id)
        except (Conflict, Forbidden) as exc:
            # Not now (before or after the offer, not published, no documents) or not for this
            # organisation: the page again with the service's reason; nothing was recorded.
            await session.rollback()
            tender = await service.get_tender(session, actor, tender_id)
            return await _tender_page(request, session, platform, actor, tender, errors=_refusal(exc), status_code=exc.status)
        return Redirect(f"/tenders/{tender_id}?done=obtained#obtain-heading", status_code=303)


def _refusal(exc: DomainError) -> list[tuple[str, str]]:
    return [("", gettext(exc.template, **exc.params))]
