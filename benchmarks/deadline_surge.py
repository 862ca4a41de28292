"""Hundreds of bidders submitting at once in the last seconds before the deadline, on loopback.

Set-up: a fresh data directory (SQLite, local objects), ``procurement db upgrade``, then in
this process on a ``FrozenClock`` (see ``benchmarks._bids``): a one-lot tender whose
deadline is a little over a minute after the preparation ends, ``--bidders`` suppliers plus
one more with keys registered, documents obtained and a bearer session each, and every bid
sealed beforehand (``--bid-kib`` of random content, one part). Then ``procurement serve``
(uvicorn, one worker, scheduler off) on that directory.

Measured:
- first, one bidder alone submits ``--solo-bids`` versions of its bid one after another
  (start, one part, complete): the single-bidder throughput, bids/s;
- then, ``--lead-seconds`` before the deadline by the system clock (the server's), every
  bidder starts at once (asyncio, ``httpx`` with a pool of ``--connections``): each submission
  ends with a receipt, a clear refusal (409 naming the deadline), or is lost (a transport
  error, a timeout, a 5xx, any other answer).
Printed: lost submissions (target 0), aggregate bids/s (receipts over the time from the start
to the last receipt) against the single bidder's (target ratio >= 0.5), and the completion
call's p99 latency against the single bidder's. Afterwards, with the server stopped: the bids
recorded in the database must be exactly the receipts, and every receipt must verify with
the platform's public key.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from benchmarks import _bids, emit, note
from benchmarks._server import HOST, environment, procurement, serving
from bidding.models import Bid
from bidding.receipts import verify_receipt
from procurement.clock import FrozenClock
from procurement.platform import Platform

BENCH = "deadline_surge"
TARGET_RATIO = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bidders", type=int, default=200, help="bidders in the surge (default 200)")
    parser.add_argument("--connections", type=int, default=50, help="the client's connection pool (default 50)")
    parser.add_argument("--bid-kib", type=int, default=64, help="content of each bid (default 64 KiB)")
    parser.add_argument("--solo-bids", type=int, default=20, help="sequential bids of the single bidder (default 20)")
    parser.add_argument("--lead-seconds", type=float, default=30.0, help="the surge starts this long before the deadline (default 30)")
    parser.add_argument("--setup-seconds", type=float, default=0.0,
                        help="time allowed from the preparation to the surge (default: 40 + 0.1 s per bidder)")


@dataclass
class Outcome:
    kind: str = "lost"  # receipt, refused, lost
    detail: str = ""
    completion_ms: float | None = None
    receipt: dict[str, object] = field(default_factory=dict)


def _deadline_refusal(response: httpx.Response) -> bool:
    return response.status_code == 409 and "deadline" in response.text


async def submit(client: httpx.AsyncClient, who: _bids.BidderSetup, tender_id: int, version: int, sealed: tuple[bytes, str]) -> Outcome:
    data, signature = sealed
    try:
        started = await client.post(f"/api/tenders/{tender_id}/lots/{_bids.LOT}/bid-uploads", headers=who.headers,
                                    json={"bid_version": version, "size": len(data)})
        if started.status_code != 201:
            return Outcome("refused" if _deadline_refusal(started) else "lost", f"start: {started.status_code} {started.text[:200]}")
        upload_id = started.json()["id"]
        sent = await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=who.headers, content=data)
        if sent.status_code != 200:
            return Outcome("refused" if _deadline_refusal(sent) else "lost", f"part: {sent.status_code} {sent.text[:200]}")
        begun = time.perf_counter()
        done = await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=who.headers, json={"signature": signature})
        ms = (time.perf_counter() - begun) * 1000
        if done.status_code == 201:
            body = done.json()
            return Outcome("receipt", "", ms, {"receipt": body["receipt"], "signature": body["receipt_signature"]})
        return Outcome("refused" if _deadline_refusal(done) else "lost", f"complete: {done.status_code} {done.text[:200]}", ms)
    except httpx.HTTPError as exc:
        return Outcome("lost", f"{type(exc).__name__}: {exc}")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")


async def _prepare(env: dict[str, str], args: argparse.Namespace, due) -> tuple[_bids.Prepared, list[tuple[bytes, str]], list[tuple[bytes, str]]]:  # type: ignore[no-untyped-def]
    clock = FrozenClock()
    platform = Platform.build(_bids.prep_settings(env), clock=clock)
    try:
        prepared = await _bids.prepare(platform, clock, bidders=args.bidders + 1, deadline=due)
    finally:
        await platform.close()
    content = args.bid_kib * 1024
    solo = prepared.bidders[-1]
    solo_bids = [_bids.seal_small(solo, prepared.tender_id, v, content=os.urandom(content)) for v in range(1, args.solo_bids + 1)]
    surge_bids = [_bids.seal_small(who, prepared.tender_id, 1, content=os.urandom(content)) for who in prepared.bidders[:-1]]
    return prepared, solo_bids, surge_bids


async def _run_load(port: int, args: argparse.Namespace, prepared: _bids.Prepared, solo_bids: list[tuple[bytes, str]],
                    surge_bids: list[tuple[bytes, str]]) -> tuple[list[Outcome], float, list[Outcome], float]:
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
    timeout = httpx.Timeout(120.0, pool=None)  # waiting for a free connection is part of the surge, not a failure
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=timeout) as client:
        solo = prepared.bidders[-1]
        note(f"one bidder alone: {args.solo_bids} versions one after another…")
        begun = time.perf_counter()
        solo_out = [await submit(client, solo, prepared.tender_id, v, sealed) for v, sealed in enumerate(solo_bids, start=1)]
        solo_seconds = time.perf_counter() - begun
        if any(o.kind != "receipt" for o in solo_out):
            raise SystemExit(f"the single bidder's bids did not all get receipts: {[o.detail for o in solo_out if o.kind != 'receipt'][:3]}")
        wait = (prepared.deadline - _bids.now()).total_seconds() - args.lead_seconds
        if wait < 0:
            raise SystemExit(f"the preparation overran: the surge should have started {-wait:.0f} s ago; raise --setup-seconds")
        note(f"single bidder: {args.solo_bids / solo_seconds:.1f} bids/s; waiting {wait:.0f} s, until {args.lead_seconds:.0f} s before the deadline…")
        await asyncio.sleep(wait)
        note(f"surge: {len(surge_bids)} bidders at once, {args.connections} connections…")
        begun = time.perf_counter()

        async def timed(who: _bids.BidderSetup, sealed: tuple[bytes, str]) -> tuple[Outcome, float]:
            outcome = await submit(client, who, prepared.tender_id, 1, sealed)
            return outcome, time.perf_counter() - begun

        finished = await asyncio.gather(*(timed(who, sealed) for who, sealed in zip(prepared.bidders[:-1], surge_bids, strict=True)))
        surge_out = [o for o, _ in finished]
        receipts_done = [t for o, t in finished if o.kind == "receipt"]
        surge_seconds = max(receipts_done) if receipts_done else float("nan")
        note(f"surge over in {max(t for _, t in finished):.1f} s; the last receipt at {surge_seconds:.1f} s; "
             f"deadline {(prepared.deadline - _bids.now()).total_seconds():+.1f} s from now")
    return solo_out, solo_seconds, surge_out, surge_seconds


async def _check_database(env: dict[str, str], prepared: _bids.Prepared, surge_out: list[Outcome]) -> None:
    platform = Platform.build(_bids.prep_settings(env))
    try:
        surge_orgs = [who.organisation_id for who in prepared.bidders[:-1]]
        async with platform.db.transaction(write=False) as session:
            recorded = (await session.execute(
                select(func.count()).select_from(Bid).where(Bid.tender_id == prepared.tender_id, Bid.organisation_id.in_(surge_orgs)))).scalar_one()
        receipts = [o for o in surge_out if o.kind == "receipt"]
        bad = [o for o in receipts if not verify_receipt(o.receipt["receipt"], o.receipt["signature"], platform.keys.public_key).ok]  # type: ignore[arg-type]
    finally:
        await platform.close()
    note(f"database: {recorded} bids recorded for the surge's bidders, {len(receipts)} receipts; {len(bad)} receipts do not verify")
    if recorded != len(receipts) or bad:
        raise SystemExit("NOT met: the bids recorded are not exactly the receipts handed out, or a receipt does not verify")


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    setup = args.setup_seconds or 40 + 0.1 * args.bidders
    with tempfile.TemporaryDirectory(prefix="bench-deadline-surge-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up {data_dir}: {args.bidders + 1} bidders, the deadline {setup + args.lead_seconds:.0f} s from now…")
        procurement(env, "db", "upgrade")
        due = _bids.now() + timedelta(seconds=setup + args.lead_seconds)
        prepared, solo_bids, surge_bids = asyncio.run(_prepare(env, args, due))
        with serving(env, Path(tmp) / "server.log") as port:
            solo_out, solo_seconds, surge_out, surge_seconds = asyncio.run(_run_load(port, args, prepared, solo_bids, surge_bids))
        asyncio.run(_check_database(env, prepared, surge_out))
    counts = {kind: sum(1 for o in surge_out if o.kind == kind) for kind in ("receipt", "refused", "lost")}
    note(f"surge: {counts['receipt']} receipts, {counts['refused']} refused at the deadline, {counts['lost']} lost")
    for o in [o for o in surge_out if o.kind == "lost"][:5]:
        note(f"  lost: {o.detail}")
    solo_rate = len(solo_out) / solo_seconds
    rate = counts["receipt"] / surge_seconds if counts["receipt"] else 0.0
    solo_p99 = p99([o.completion_ms for o in solo_out if o.completion_ms is not None])
    surge_p99 = p99([o.completion_ms for o in surge_out if o.completion_ms is not None])
    results = [
        emit(BENCH, "lost", counts["lost"], len(surge_out), counts["lost"] / len(surge_out),
             f"submissions lost of {len(surge_out)} (neither a receipt nor a 409 at the deadline): {counts['receipt']} receipts, "
             f"{counts['refused']} refused; target 0"),
        emit(BENCH, "bids_per_second", rate, solo_rate, rate / solo_rate,
             f"bids/s, {len(surge_out)} bidders at once ({args.connections} connections, {args.bid_kib} KiB bids) vs one bidder's sequential bids"),
        emit(BENCH, "completion_p99", surge_p99, solo_p99, solo_p99 / surge_p99,
             "ms, p99 of POST …/complete in the surge vs the single bidder's; ratio = baseline / value"),
    ]
    ok = counts["lost"] == 0 and rate / solo_rate >= TARGET_RATIO
    note(f"lost {counts['lost']} (target 0), throughput ratio {rate / solo_rate:.3f} (target {TARGET_RATIO}): {'met' if ok else 'NOT met'}")
    return results
