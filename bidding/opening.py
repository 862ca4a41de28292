"""The remote opening (开标): bidders release their content keys, the platform opens what they release.

Before this, no key that opens a bid exists anywhere on the server. The operator starts the
opening once bidding has closed and the lots are counted; each bidder then releases its
bid's content key (unwrapped on its own machine) within the window. The platform checks the
key against the envelope's commitment, decrypts the whole envelope (every segment must
authenticate) and reads the opening fields from its manifest. When the window ends (the
scheduler closes it, also after downtime) every bid not released has failed by its bidder's
doing; a lot left with fewer valid bids than the law's minimum fails; otherwise the opening
record (开标记录) is published as a notice, and the tender is opened.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import envelope, opening_key
from bidding.deadline import TO_OPENING
from bidding.models import Bid, BidStatus, BidUploadPart, LotTally, Opening
from bidding.stored import blocking_chunks
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.credit import service as credit
from procurement.errors import Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, Role
from procurement.platform import Platform
from procurement.scheduler.framework import Recheck
from procurement.tenders import notices, rules
from procurement.tenders import service as tenders
from procurement.tenders.models import NoticeKind, Tender, TenderStatus

NOT_RELEASED = "the bidder did not release its content key within the opening window"


async def _lots_to_open(session: AsyncSession, tender_id: int) -> list[int]:
    query = select(LotTally.lot_number).where(LotTally.tender_id == tender_id, LotTally.outcome == TO_OPENING).order_by(LotTally.lot_number)
    return list((await session.execute(query)).scalars())


async def start(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, minutes: int | None = None) -> Opening:
    """Start the opening; bidders have the tender's release window (``minutes`` overrides it)."""
    if not actor.has(Role.operator):
        raise Forbidden("the trading centre opens the bids")
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    if tender.status != TenderStatus.bidding_closed:
        raise Conflict("bids are opened after bidding closes; this tender is %(state)s", state=tender.status)
    if await session.get(Opening, tender_id) is not None:
        raise Conflict("the opening of this tender has already started")
    if not await _lots_to_open(session, tender_id):
        raise Conflict("no lot of this tender has enough bids to open, or the bids are not counted yet")
    minutes = tender.release_minutes if minutes is None else minutes
    if not 5 <= minutes <= 24 * 60:
        raise InvalidInput.for_field("body.release_minutes", "the release window is from 5 minutes to 24 hours")
    now = platform.clock.now()
    opening = Opening(tender_id=tender_id, started_by=actor.user_id, started_at=now, release_until=now + timedelta(minutes=minutes),
                      next_check=now + timedelta(minutes=minutes))
    session.add(opening)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "opening.started", subject_type="tender", subject_id=tender_id,
        details={"release_until": opening.release_until.isoformat()},
    )
    return opening


def _content_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput.for_field("body.content_key", "is not valid base64") from exc
    if len(key) != 32:
        raise InvalidInput.for_field("body.content_key", "a content key has 32 bytes, this one has %(length)s", length=len(key))
    return key


def _open_all(chunks: Iterator[bytes], key: bytes) -> dict[str, Any]:
    """Decrypt to the end (every segment authenticates); the opening fields and the files' names."""
    opened = envelope.open_envelope(chunks, key)
    for _, content in opened.files():
        for _ in content:
            pass
    # Each file's name, size and digest (from the manifest the bidder signed): the supervisors'
    # identical-documents rule compares them across bidders (docs/supervision.md).
    return dict(opened.manifest.fields) | {"files": [{"name": f.name, "size": f.size, "digest": f.digest.hex()} for f in opened.manifest.files]}


async def release(platform: Platform, actor: Actor, bid_id: int, content_key_b64: str) -> Bid:
    """The bidder releases its bid's content key; the platform opens the bid with it."""
    key = _content_key(content_key_b64)
    async with platform.db.transaction(write=False) as session:
        bid = await _releasable(session, platform, actor, bid_id)
        parts = [p.object_key for p in (await session.execute(
            select(BidUploadPart).where(BidUploadPart.upload_id == bid.upload_id).order_by(BidUploadPart.number))).scalars()]
    try:
        opened = await _open_with(platform, bid, parts, key)
    except envelope.ContentKeyMismatch as exc:
        # Checked against the commitment before any decryption. A wrong key is the bidder's
        # slip: it may try again while the window is open.
        raise InvalidInput.for_field("body.content_key", "this is not the key the bid was sealed with (its commitment does not match)") from exc
    async with platform.db.transaction() as session:
        bid = await _releasable(session, platform, actor, bid_id, lock=True)
        await _settle(session, platform, actor, bid, key, opened)
        return bid


async def _open_with(platform: Platform, bid: Bid, parts: list[str], key: bytes) -> tuple[dict[str, Any] | None, str, str, str]:
    """Decrypt the whole envelope: (fields or None, failure, whose failure, the envelope's SHA-256).

    Raises ``ContentKeyMismatch`` for a key the envelope was not sealed with (nothing decrypted).
    """
    loop = asyncio.get_running_loop()
    try:
        fields = await asyncio.to_thread(_open_all, blocking_chunks(platform, parts, loop), key)
        # Every segment authenticated under the committed key: the bytes are those received.
        return fields, "", "", bid.sha256
    except envelope.ContentKeyMismatch:
        raise
    except envelope.EnvelopeError as exc:
        # The stored bytes are what the bidder signed unless storage changed them.
        sha256 = await _stored_sha256(platform, parts)
        return None, f"the envelope does not open: {exc}", "bidder" if sha256 == bid.sha256 else "platform", sha256


async def _settle(session: AsyncSession, platform: Platform, actor: Actor | None, bid: Bid, key: bytes,
                  opened: tuple[dict[str, Any] | None, str, str, str], *, key_from: str = "bidder") -> None:
    fields, failure, party, sha256 = opened
    bid.content_key = base64.b64encode(key).decode()
    bid.opened_at = platform.clock.now()
    if fields is not None:
        bid.status, bid.opening_fields = BidStatus.opened, json.dumps(fields, ensure_ascii=False)
    else:
        bid.status, bid.open_failure, bid.failure_party = BidStatus.open_failed, failure, party
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "bid.opened" if fields is not None else "bid.open_failed", subject_type="bid", subject_id=bid.id,
        details={"tender_id": bid.tender_id, "lot": bid.lot_number, "envelope_sha256": sha256, "fields": fields, "failure": failure,
                 "key_from": key_from},
    )


async def _open_by_opening_key(session: AsyncSession, platform: Platform, actor: Actor | None, bid: Bid) -> None:
    """The fallback for a bid not released: the custodians' rebuilt opening key, where the tender has one."""
    key = await opening_key.fallback_content_key(session, platform, bid)
    if key is not None:
        parts = list((await session.execute(select(BidUploadPart.object_key).where(BidUploadPart.upload_id == bid.upload_id)
                                            .order_by(BidUploadPart.number))).scalars())
        try:
            opened = await _open_with(platform, bid, parts, key)
        except envelope.ContentKeyMismatch:
            # The sealer wrapped another key to the opening key than the one it sealed with.
            opened = None, "the key wrapped to the opening key is not the one the bid was sealed with", "bidder", bid.sha256
        await _settle(session, platform, actor, bid, key, opened, key_from="opening_key")


async def _stored_sha256(platform: Platform, keys: list[str]) -> str:
    hasher = hashlib.sha256()
    for key in keys:
        async for chunk in platform.store.get(key):
            hasher.update(chunk)
    return hasher.hexdigest()


async def _releasable(session: AsyncSession, platform: Platform, actor: Actor, bid_id: int, *, lock: bool = False) -> Bid:
    bid = await session.get(Bid, bid_id, with_for_update=lock)
    if bid is None or bid.organisation_id != actor.organisation_id or not actor.has(Role.supplier):
        raise NotFound("no bid %(id)s", id=bid_id)
    opening = await session.get(Opening, bid.tender_id)
    if opening is None or opening.closed_at is not None:
        raise Conflict("keys are released while the opening is in progress")
    if platform.clock.now() > as_utc(opening.release_until):
        raise Conflict("the release window ended at %(until)s", until=as_utc(opening.release_until).isoformat())
    if bid.status != BidStatus.submitted or bid.lot_number not in await _lots_to_open(session, bid.tender_id):
        raise Conflict("this bid is not waiting to be opened; it is %(state)s", state=bid.status)
    return bid


async def close(session: AsyncSession, platform: Platform, tender_id: int, *, actor: Actor | None = None) -> bool:
    """End the opening: unreleased bids fail, lots short of valid bids fail, the record is published."""
    tender = await session.get(Tender, tender_id, with_for_update=True)
    opening = await session.get(Opening, tender_id, with_for_update=True)
    if tender is None or opening is None or opening.closed_at is not None:
        return False
    now = platform.clock.now()
    if actor is None and now < as_utc(opening.release_until):
        return False
    lots = await _lots_to_open(session, tender_id)
    bids = list((await session.execute(
        select(Bid).where(Bid.tender_id == tender_id, Bid.lot_number.in_(lots),
                          Bid.status.in_([BidStatus.submitted, BidStatus.opened, BidStatus.open_failed])).order_by(Bid.lot_number, Bid.id)
    )).scalars())
    for bid in bids:
        if bid.status == BidStatus.submitted:
            await _open_by_opening_key(session, platform, actor, bid)
        if bid.status == BidStatus.submitted:
            bid.status, bid.open_failure, bid.failure_party = BidStatus.open_failed, NOT_RELEASED, "bidder"
        if bid.status == BidStatus.opened:
            # Credit is checked again at the opening, and the check kept (财库〔2016〕125号).
            checked = await credit.check(session, platform, [bid.organisation_id], "opening", subject_type="bid", subject_id=bid.id)
            if not checked.passed:
                entry = checked.entries[0]
                bid.status, bid.failure_party = BidStatus.open_failed, "bidder"
                bid.open_failure = f"on the blacklist at the opening ({entry.authority}, {entry.legal_basis})"
    opening.closed_at, opening.next_check = now, None
    await session.flush()
    record = await _record(session, bids, lots)
    await audit.record(session, platform.clock, actor, "opening.closed", subject_type="tender", subject_id=tender_id, details={"lots": record})
    minimum = rules.rules_for(tender.track, tender.method).minimum_bids
    short = [lot for lot in lots if sum(1 for row in record[str(lot)] if row["status"] == BidStatus.opened) < int(minimum.value)]  # type: ignore[call-overload]
    if short:
        await tenders.fail_lots(
            session, platform, tender, short, f"开标时有效投标不足{minimum.value}个，依法重新组织采购（{minimum.article}）",
            facts={"valid_bids": {n: sum(1 for row in record[str(n)] if row["status"] == BidStatus.opened) for n in short}},
        )
    if tender.status == TenderStatus.bidding_closed:
        await tenders.opened(session, platform, tender)
        await notices.publish(session, platform, actor, tender, NoticeKind.opening, lots=await tenders.lots_of(session, tender_id),
                              details={"opening": {"started_at": as_utc(opening.started_at).isoformat(), "closed_at": now.isoformat(),
                                                   "lots": {n: rows for n, rows in record.items() if int(n) not in short}}})
    return True


async def _record(session: AsyncSession, bids: list[Bid], lots: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Per lot: each bidder, what its envelope said, or why it did not open."""
    names = dict((await session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_({b.organisation_id for b in bids} or {0}))
    )).all())
    record: dict[str, list[dict[str, Any]]] = {str(lot): [] for lot in lots}
    for bid in bids:
        record[str(bid.lot_number)].append({
            "bidder": names.get(bid.organisation_id, ""), "status": bid.status, "version": bid.version,
            "fields": json.loads(bid.opening_fields) if bid.opening_fields else None, "failure": bid.open_failure,
            "envelope_sha256": bid.sha256,
        })
    return record


async def get(session: AsyncSession, tender_id: int) -> Opening:
    found = await session.get(Opening, tender_id)
    if found is None:
        raise NotFound("the opening of tender %(id)s has not started", id=tender_id)
    return found


async def progress(session: AsyncSession, tender_id: int) -> dict[str, list[dict[str, Any]]]:
    """Per lot to open: each bidder and where its bid stands (prices only once opened and closed)."""
    found = await get(session, tender_id)
    lots = await _lots_to_open(session, tender_id)
    bids = list((await session.execute(
        select(Bid).where(Bid.tender_id == tender_id, Bid.lot_number.in_(lots),
                          Bid.status.in_([BidStatus.submitted, BidStatus.opened, BidStatus.open_failed])).order_by(Bid.lot_number, Bid.id)
    )).scalars())
    record = await _record(session, bids, lots)
    if found.closed_at is None:
        # Until the opening closes, what was released stays unread by everyone: prices come out together.
        for rows in record.values():
            for row in rows:
                row["fields"] = None
    return record


async def _due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(select(Opening.tender_id, Opening.next_check).where(Opening.next_check.is_not(None), Opening.next_check <= moment))
    return [(str(tender_id), as_utc(at)) for tender_id, at in rows]


async def _run(session: AsyncSession, platform: Platform, subject_id: str) -> bool:
    return await close(session, platform, int(subject_id))


OPENING_CLOSE = Recheck(kind="opening", due=_due, run=_run)
