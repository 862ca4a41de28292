"""The sealed-bid pages: a supplier's bid page (keys, sealing, upload, receipts) and the opening room.

The pages only lay out what the bidder's browser needs; sealing, signing and unwrapping happen
in ``templates/static/js/bid-page.js`` and ``js/bidding/`` on WebCrypto, and every state change
goes through the bid API (``bidding/controllers.py``) from the page with the CSRF header, so
the rules live in one place: the services. Plaintext and private keys never reach the server.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import opening, service
from bidding.models import Bid, BidStatus
from procurement.actor import Actor
from procurement.clock import as_utc
from procurement.errors import N_, NotFound
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.tenders import notices
from procurement.tenders import service as tenders
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.document_models import DocumentObtained
from procurement.tenders.models import NoticeKind, Tender, TenderStatus
from procurement.tenders.pages import STATUS_LABELS, is_supplier, label, yuan
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login, requires_roles
from procurement.web.pages import page

# What each bid state means to the bidder and to the opening room (English message ids).
BID_STATUS_LABELS: dict[str, str] = {
    BidStatus.submitted: N_("Submitted (current)"),
    BidStatus.superseded: N_("Superseded by a later version"),
    BidStatus.withdrawn: N_("Withdrawn"),
    BidStatus.opened: N_("Released and opened"),
    BidStatus.open_failed: N_("Did not open"),
}
# In the opening room a submitted bid is one whose key is still awaited.
OPENING_STATUS_LABELS: dict[str, str] = BID_STATUS_LABELS | {BidStatus.submitted: N_("Key not released yet")}


def _tender_facts(platform: Platform, tender: Tender) -> dict[str, Any]:
    deadline = as_utc(tender.bid_deadline)
    return {
        "id": tender.id, "code": tender.code, "title": tender.title, "status": label(STATUS_LABELS, tender.status),
        "deadline": deadline, "open_for_bids": tender.status == TenderStatus.published and platform.clock.now() <= deadline,
    }


def _price(fields: dict[str, Any] | None) -> str:
    """The price as the opening record shows it (1,180,000.00); as sealed if it is not an amount."""
    price = str((fields or {}).get("price", ""))
    try:
        return f"{Decimal(price):,.2f}" if price else ""
    except InvalidOperation:
        return price


def _bid_row(bid: Bid) -> dict[str, Any]:
    return {"id": bid.id, "lot": bid.lot_number, "version": bid.version, "status": bid.status,
            "status_label": label(BID_STATUS_LABELS, bid.status), "sha256": bid.sha256, "submitted_at": bid.submitted_at}


async def _bid_page(request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int) -> Template:
    bids = await service.bids_of_organisation(session, actor, tender_id)  # supplier only; the tender must be visible
    tender = await tenders.get_tender(session, actor, tender_id)
    versions = await service.next_versions(session, actor, tender_id)
    obtained = (await session.execute(select(DocumentObtained.id).where(
        DocumentObtained.tender_id == tender_id, DocumentObtained.organisation_id == actor.organisation_id))).first() is not None
    lots = [{"number": lot.number, "title": lot.title, "budget": yuan(lot.budget_fen), "bid_security": yuan(lot.bid_security_fen),
             "security_due": lot.bid_security_fen > 0, "next_version": versions.get(lot.number, 1)}
            for lot in await tenders.lots_of(session, tender_id)]
    return page(
        request, "bidding/bid.html", tender=_tender_facts(platform, tender), lots=lots, bids=[_bid_row(b) for b in bids],
        obtained=obtained, organisation_id=actor.organisation_id, user_id=actor.user_id,
    )


async def _opening_record(session: AsyncSession, tender_id: int) -> int | None:
    found = [n.id for n in await notices.of_tender(session, tender_id) if n.kind == NoticeKind.opening]
    return found[-1] if found else None


async def _opening_page(request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int) -> Template:
    tender = await tenders.get_tender(session, actor, tender_id)
    try:
        started = await opening.get(session, tender_id)
    except NotFound:
        started = None
    lots: dict[str, list[dict[str, Any]]] = await opening.progress(session, tender_id) if started else {}
    for rows in lots.values():
        for row in rows:
            row["status_label"] = label(OPENING_STATUS_LABELS, row["status"])
            row["price"] = _price(row["fields"])
    own: list[dict[str, Any]] = []
    bidder = is_supplier(actor)
    if bidder:
        to_open = {int(n) for n in lots}
        own = [_bid_row(b) for b in await service.bids_of_organisation(session, actor, tender_id)
               if b.status in (BidStatus.submitted, BidStatus.opened, BidStatus.open_failed) and (not lots or b.lot_number in to_open)]
    now = platform.clock.now()
    return page(
        request, "bidding/opening.html", tender=_tender_facts(platform, tender), opening=started, lots=lots, own_bids=own,
        is_operator=actor.has(Role.operator), is_bidder=bidder, record_id=await _opening_record(session, tender_id),
        can_start=started is None and tender.status == TenderStatus.bidding_closed and actor.has(Role.operator),
        in_progress=started is not None and started.closed_at is None,
        window_open=started is not None and started.closed_at is None and now <= as_utc(started.release_until),
        default_minutes=tender.release_minutes, user_id=actor.user_id,
    )


class BidPages(Controller):
    tags = ["Pages"]

    @get("/tenders/{tender_id:int}/bid", summary="A supplier's bid page: keys, seal and submit in the browser, receipts, withdraw",
         guards=[requires_roles(Role.supplier)])
    async def bid(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                  tender_id: TenderIdPath) -> Template:
        return await _bid_page(request, session, platform, actor, tender_id)

    @get("/tenders/{tender_id:int}/opening", summary="The opening room: the operator starts and closes it, bidders release their keys",
         guards=[requires_login])
    async def opening(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      tender_id: TenderIdPath) -> Template:
        return await _opening_page(request, session, platform, actor, tender_id)
