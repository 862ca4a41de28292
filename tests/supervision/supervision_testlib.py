"""Tenders with bids for the supervision tests: bids through the real API, the deadline through the scheduler."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bidding.models import Bid, BidUpload
from procurement.audit.models import AuditEntry
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.supervision.models import RiskAlert
from procurement.supervision.service import CHECK_DELAY
from tests.bidding.bid_testlib import sealed, submit


async def bid(client, who, tender_id: int, lot: int, *, price: str = "780000.00", content: bytes = b"technical offer",
              fingerprint: str | None = None) -> dict:
    headers = {**who.headers, **({"X-Client-Fingerprint": fingerprint} if fingerprint else {})}
    completed = await submit(client, type(who)(who.user, headers, who.keys), tender_id, lot,
                             *sealed(who, tender_id, lot, 1, price=price, content=content))
    assert completed.status_code == 201, completed.text
    return completed.json()


async def from_address(platform, bid_id: int, address: str) -> None:
    """Where the test client's upload 'came from' (the in-process client has one address for everyone)."""
    async with platform.db.transaction() as session:
        upload_id = (await session.execute(select(Bid.upload_id).where(Bid.id == bid_id))).scalar_one()
        await session.execute(update(BidUpload).where(BidUpload.id == upload_id).values(client_ip=address))


async def past_deadline(client, platform, clock, tender_id: int) -> None:
    """Bidding closes, the bids are counted, and the risk checks run a few minutes later."""
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender_id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    clock.advance(CHECK_DELAY + timedelta(seconds=1))
    await sweep(platform, build_registry())


async def alerts_of(platform, rule: str | None = None) -> list[RiskAlert]:
    async with platform.db.transaction(write=False) as session:
        query = select(RiskAlert).order_by(RiskAlert.id)
        if rule:
            query = query.where(RiskAlert.rule == rule)
        return list((await session.execute(query)).scalars())


async def actions(platform, action: str) -> list[AuditEntry]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))).scalars())
