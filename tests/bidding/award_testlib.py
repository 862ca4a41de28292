"""Tenders with opened bids handed to the award, for the award tests (API, pages, browser).

``opened_tender`` drives the real flow (publish, three sealed bids, remote opening, close);
``hand_over`` then stands in for the evaluation: it moves the tender to ``evaluating`` (what
starting an evaluation does) and calls ``receive_evaluation`` with the opened bids ranked by
price, exactly as the evaluation does when its report is signed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select

from bidding import envelope
from bidding.award import service as award
from bidding.award.handover import EvaluatedLot, RankedBid
from bidding.models import Bid, BidStatus
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.tenders.models import Tender, TenderStatus
from tests.bidding.bid_testlib import (
    Bidder,
    OpenTender,
    bidder,
    open_tender,
    sealed,
    submit,
)
from tests.conftest import bearer

ONE_LOT = [{"title": "全部内容", "budget": "1250000.00", "bid_security": "25000.00"}]
PRICES = ("1180000.00", "1199000.50", "1210000.00")
COMMITTEE = ("张三", "李四", "王五", "赵六", "钱七")
T = TypeVar("T")


@dataclass
class OpenedTender:
    tender: OpenTender
    bidders: list[Bidder]  # in the order of PRICES: the first is the cheapest
    watchers: list[Bidder]  # suppliers that obtained the documents and did not bid (potential bidders)


async def _here(coroutine: Awaitable[T]) -> T:
    return await coroutine


async def opened_tender(client, users, platform, clock, *, track: str = "works", prices: tuple[str, ...] = PRICES,
                        watchers: int = 0, on_server: Callable[[Awaitable[Any]], Awaitable[Any]] = _here) -> OpenedTender:
    """``on_server`` runs the scheduler's sweep where the platform's database engine lives (a live server's loop)."""
    extra = {"category": "goods"} if track == "government" else {}
    tender = await open_tender(client, users, clock, lots=ONE_LOT, track=track, **extra)
    watching = [await bidder(client, users, tender.id) for _ in range(watchers)]
    bidders: list[tuple[Bidder, int, bytes]] = []
    centre = await users.make(Role.operator)
    operator = await bearer(client, centre)
    for price in prices:
        who = await bidder(client, users, tender.id)
        # Each bidder pays its security and the trading centre confirms it, so refunds fall due.
        paid = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-security", headers=who.headers, json={
            "form": "bank_transfer", "amount": "25000.00", "payer_account_name": "投标人", "bank_reference": f"TRX-{price}"})
        assert paid.status_code == 201, paid.text
        assert (await client.post(f"/api/bid-securities/{paid.json()['id']}/confirm", headers=operator)).status_code == 200
        data, signature = sealed(who, tender.id, 1, 1, price=price)
        completed = await submit(client, who, tender.id, 1, data, signature)
        assert completed.status_code == 201, completed.text
        bidders.append((who, completed.json()["id"], data))
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await on_server(sweep(platform, build_registry()))
    operator = await bearer(client, centre)  # a fresh session after the weeks to the deadline
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={"release_minutes": 30})).status_code == 201
    for who, bid_id, data in bidders:
        key = base64.b64encode(envelope.unwrap_content_key(envelope.read_header([data]), who.keys.x25519)).decode()
        released = await client.post(f"/api/bids/{bid_id}/release", headers=await bearer(client, who.user), json={"content_key": key})
        assert released.status_code == 200, released.text
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)).status_code == 200
    return OpenedTender(tender, [who for who, _, _ in bidders], watching)


async def hand_over(platform, tender_id: int, *, reported_at: datetime | None = None, candidates: int = 3) -> None:
    """The evaluation's hand-over: opened bids ranked by price, the committee's names."""
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id, with_for_update=True)
        assert tender is not None and tender.status in (TenderStatus.opened, TenderStatus.evaluating), tender.status
        tender.status = TenderStatus.evaluating  # what starting the evaluation does
        bids = list((await session.execute(
            select(Bid).where(Bid.tender_id == tender_id, Bid.lot_number == 1, Bid.status == BidStatus.opened))).scalars())
        priced = sorted(bids, key=lambda b: Decimal(json.loads(b.opening_fields)["price"]))
        ranked = tuple(
            RankedBid(bid_id=b.id, organisation_id=b.organisation_id, rank=i, price=Decimal(json.loads(b.opening_fields)["price"]), total=None)
            for i, b in enumerate(priced[:candidates], start=1)
        )
        await award.receive_evaluation(session, platform, None, EvaluatedLot(
            tender_id=tender_id, lot_number=1, evaluation_id=1, report_digest="ab" * 32,
            reported_at=reported_at or platform.clock.now(), ranked=ranked, committee_names=COMMITTEE,
        ))
