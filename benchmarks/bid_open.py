"""Opening N released bids vs. reading and AES-GCM-decrypting the same envelopes directly.

Measured in-process, not through HTTP: the work of the opening is the platform's, not the
web layer's, and one HTTP round trip per multi-MiB bid would not change the picture.

Set-up: a fresh data directory (SQLite, local objects), ``procurement db upgrade``, then in
this process on a ``FrozenClock`` (see ``benchmarks._bids``): a one-lot tender whose
deadline passed an hour ago, N bidders, each of whom submitted a bid of ``--bid-size-mib``
of random content (sealed, uploaded in 8 MiB parts and completed through
``bidding.service``) before the deadline; then bidding closes (``tenders.recheck``), the
lot is counted (``bidding.deadline.tally``) and the operator starts the opening. Each
bidder's content key is unwrapped beforehand, as the bidder does on its own machine.

Measured, the bids split into ``--rounds`` groups, the two sides alternating per group
(order swapped every other round) so drift falls on both alike:
- the opening: ``bidding.opening.release`` for each bid of the group: the checks, the
  header and key commitment, decrypting every segment while hashing the ciphertext, and
  the transaction that records the opened bid and its audit entry;
- the baseline: for each bid, its parts read from the same store (``store.get``) and
  ``bidding.envelope.open_envelope`` with the same key, every file read to the end.
Printed: bids per second (ratio = opening / baseline). Target: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from benchmarks import _bids, emit, note
from benchmarks._server import environment, procurement
from bidding import deadline, envelope, opening, service
from bidding.models import Bid, BidStatus, BidUploadPart
from procurement.clock import FrozenClock
from procurement.platform import Platform
from procurement.tenders import service as tenders

BENCH = "bid_open"
TARGET = 0.5
MIB = 1024 * 1024
PART = 8 * MIB


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bids", type=int, default=24, help="bids to open, over all rounds (default 24; at least 3 per round)")
    parser.add_argument("--bid-size-mib", type=int, default=8, help="content of each bid (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating groups (default 3)")


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    yield data


async def _submit(platform: Platform, who: _bids.BidderSetup, tender_id: int, size: int) -> tuple[int, bytes, list[str]]:
    """Seal and submit one bid; (bid id, content key, object keys of its parts)."""
    data, signature = _bids.seal_small(who, tender_id, 1, content=os.urandom(size))
    async with platform.db.transaction() as session:
        actor = await _bids.actor_of(session, who.user_id)
        upload = await service.start_upload(session, platform, actor, service.UploadStart(tender_id, _bids.LOT, 1, len(data)))
        upload_id = upload.id
    for number, offset in enumerate(range(0, len(data), PART), start=1):
        await service.put_part(platform, actor, upload_id, number, _chunks(data[offset:offset + PART]))
    bid = await service.complete(platform, actor, upload_id, signature)
    async with platform.db.transaction(write=False) as session:
        keys = list((await session.execute(
            select(BidUploadPart.object_key).where(BidUploadPart.upload_id == upload_id).order_by(BidUploadPart.number))).scalars())
    return bid.id, _bids.content_key(who, data[:64 * 1024]), keys  # type: ignore[return-value]


async def _baseline(platform: Platform, bids: list[tuple[int, bytes, list[str]]]) -> float:
    start = time.perf_counter()
    for _, key, parts in bids:
        chunks = [chunk for part in parts async for chunk in platform.store.get(part)]
        opened = envelope.open_envelope(iter(chunks), key)
        for _, content in opened.files():
            for _ in content:
                pass
        if not opened.complete:
            raise SystemExit("the baseline did not read an envelope to its end")
    return time.perf_counter() - start


async def _release(platform: Platform, bids: list[tuple[int, bytes, list[str]]], who_of: dict[int, _bids.BidderSetup]) -> float:
    actors = {}
    async with platform.db.transaction(write=False) as session:
        for bid_id, _, _ in bids:
            actors[bid_id] = await _bids.actor_of(session, who_of[bid_id].user_id)
    start = time.perf_counter()
    for bid_id, key, _ in bids:
        released = await opening.release(platform, actors[bid_id], bid_id, base64.b64encode(key).decode())
        if released.status != BidStatus.opened:
            raise SystemExit(f"bid {bid_id} did not open: {released.status} {released.open_failure}")
    return time.perf_counter() - start


async def _measure(env: dict[str, str], args: argparse.Namespace) -> list[dict[str, object]]:
    clock = FrozenClock()
    platform = Platform.build(_bids.prep_settings(env), clock=clock)
    try:
        due = _bids.now() - timedelta(hours=1)
        prepared = await _bids.prepare(platform, clock, bidders=args.bids, deadline=due, sessions_now=False)
        clock.set(due - timedelta(minutes=30))
        note(f"{args.bids} bidders submit a {args.bid_size_mib} MiB bid each (sealed, uploaded, completed; not timed)…")
        bids = [await _submit(platform, who, prepared.tender_id, args.bid_size_mib * MIB) for who in prepared.bidders]
        who_of = {bid[0]: who for bid, who in zip(bids, prepared.bidders, strict=True)}
        clock.set(due + timedelta(seconds=1))
        async with platform.db.transaction() as session:
            await tenders.recheck(session, platform, prepared.tender_id)
            await deadline.tally(session, platform, prepared.tender_id)
        clock.set(_bids.now())
        async with platform.db.transaction() as session:
            operator = await _bids.actor_of(session, prepared.operator_user_id)
            await opening.start(session, platform, operator, prepared.tender_id, 60)
        async with platform.db.transaction(write=False) as session:
            size = sum((await session.execute(select(Bid.size).where(Bid.tender_id == prepared.tender_id))).scalars())
        note(f"opening started; {len(bids)} envelopes, {size / MIB:,.1f} MiB in all. {args.rounds} alternating rounds…")
        per_round = len(bids) // args.rounds
        opened_seconds, base_seconds = 0.0, 0.0
        for n in range(args.rounds):
            group = bids[n * per_round:(n + 1) * per_round] if n < args.rounds - 1 else bids[n * per_round:]
            sides = [("baseline", _baseline(platform, group)), ("opening", _release(platform, group, who_of))]
            if n % 2:
                sides.reverse()
            seconds = {}
            for name, work in sides:
                seconds[name] = await work
            opened_seconds += seconds["opening"]
            base_seconds += seconds["baseline"]
            note(f"  round {n + 1}: {len(group)} bids; opening {len(group) / seconds['opening']:.2f} bids/s, "
                 f"baseline {len(group) / seconds['baseline']:.2f} bids/s")
    finally:
        await platform.close()
    rate, base = len(bids) / opened_seconds, len(bids) / base_seconds
    return [emit(BENCH, "bids_opened_per_second", rate, base, rate / base,
                 f"bids/s, bidding.opening.release of {len(bids)} bids of {args.bid_size_mib} MiB (local store, SQLite) vs store.get + "
                 f"open_envelope of the same envelopes")]


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    if args.bids < 3 * args.rounds:
        raise SystemExit("--bids: at least 3 per round (the law's minimum for a lot to be opened)")
    with tempfile.TemporaryDirectory(prefix="bench-bid-open-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up a fresh data directory in {data_dir}…")
        procurement(env, "db", "upgrade")
        results = asyncio.run(_measure(env, args))
    ratio = float(results[0]["ratio"])
    note(f"ratio {ratio:.3f} against a target of {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")
    return results
