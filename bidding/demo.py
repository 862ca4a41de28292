"""Sealed bids for the demo: bidders with keys made on the spot, bids sealed, submitted, released, opened.

The demo plays each bidder's machine too: it generates the bidder's keys in memory, seals
and signs the envelope, and later unwraps the content key to release it, through the same
services the API uses. The private keys exist only while the demo runs.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from bidding import envelope, opening, service
from procurement.actor import Actor
from procurement.identity import public_keys, schemas, sessions
from procurement.identity.models import User
from procurement.platform import Platform
from procurement.tenders import documents
from procurement.tenders import service as tenders


@dataclass
class SealedBid:
    username: str
    bid_id: int
    header: envelope.EnvelopeHeader
    keys: envelope.BidderKeys


async def _actor(platform: Platform, username: str) -> Actor:
    async with platform.db.transaction(write=False) as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        return await sessions.actor_for(session, user, via="bearer", session_id=None)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def submit_bids(platform: Platform, tender_id: int, offers: dict[str, Decimal], *, client_ip: str = "") -> list[SealedBid]:
    """Each demo supplier (username → price as a share of each lot's budget) bids on every lot (from ``client_ip``, as if sent from there)."""
    sealed: list[SealedBid] = []
    async with platform.db.transaction(write=False) as session:
        lots = await tenders.lots_of(session, tender_id)
    for username, share in offers.items():
        actor = await _actor(platform, username)
        keys = envelope.BidderKeys.generate(f"demo {username}")
        async with platform.db.transaction() as session:
            for algorithm, raw in (("x25519", keys.x25519_public), ("ed25519", keys.ed25519_public)):
                await public_keys.register_public_key(
                    session, platform, actor, schemas.PublicKeyCreate(algorithm=algorithm, public_key=base64.b64encode(raw).decode(), label="演示密钥")
                )
            await documents.obtain(session, platform, actor, tender_id)
        for lot in lots:
            price = (Decimal(lot.budget_fen) / 100 * share).quantize(Decimal("0.01"))
            async with platform.db.transaction() as session:
                version = await service.next_version(session, tender_id, lot.number, actor.organisation_id)  # type: ignore[arg-type]
            bid = envelope.seal(
                envelope.Binding(tender_id, lot.number, actor.organisation_id, version),  # type: ignore[arg-type]
                {"price": f"{price}", "currency": "CNY", "duration_days": 150},
                [envelope.PayloadFile.from_bytes("投标文件.txt", f"{username} 对第 {lot.number} 包的投标文件（演示）".encode())],
                [keys.x25519.public_key()], signer=keys.ed25519,
            )
            data = b"".join(bid)
            async with platform.db.transaction() as session:
                upload = await service.start_upload(session, platform, actor, service.UploadStart(tender_id, lot.number, version, len(data)), client_ip=client_ip)
            await service.put_part(platform, actor, upload.id, 1, _chunks(data))
            received = await service.complete(platform, actor, upload.id, base64.b64encode(bid.signature).decode())
            sealed.append(SealedBid(username, received.id, bid.header, keys))  # type: ignore[arg-type]
    return sealed


async def open_bids(platform: Platform, tender_id: int, bids: list[SealedBid]) -> None:
    """The opening: the operator starts it, every bidder releases, the operator closes it."""
    operator = await _actor(platform, "operator")
    async with platform.db.transaction() as session:
        await opening.start(session, platform, operator, tender_id)
    for bid in bids:
        content_key = envelope.unwrap_content_key(bid.header, bid.keys.x25519)
        await opening.release(platform, await _actor(platform, bid.username), bid.bid_id, base64.b64encode(content_key).decode())
    async with platform.db.transaction() as session:
        await opening.close(session, platform, tender_id, actor=operator)
