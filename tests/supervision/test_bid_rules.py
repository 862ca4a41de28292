"""Rules over the bids of a tender: where they came from and when (after the deadline), and what the opening revealed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from bidding import envelope
from bidding.models import Bid, BidStatus, BidUpload
from bidding.opening import _open_all
from procurement.supervision import rules, service
from procurement.tenders.models import Tender
from tests.bidding.bid_testlib import bidder, open_tender
from tests.supervision.supervision_testlib import (
    actions,
    alerts_of,
    bid,
    from_address,
    past_deadline,
)


async def test_bids_from_one_address_raise_one_alert_only_after_bidding_closed(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob, carol = [await bidder(client, users, tender.id) for _ in range(3)]
    first = await bid(client, alice, tender.id, 1)
    clock.advance(timedelta(minutes=10))
    second = await bid(client, bob, tender.id, 1)
    clock.advance(timedelta(minutes=10))
    third = await bid(client, carol, tender.id, 1)
    await from_address(platform, first["id"], "203.0.113.7")
    await from_address(platform, second["id"], "203.0.113.7")
    await from_address(platform, third["id"], "198.51.100.9")
    # Before the deadline nothing about bids is checked, whatever the scheduler does.
    assert await service.check_now(platform) >= 0
    assert await alerts_of(platform, "same_address") == []

    await past_deadline(client, platform, clock, tender.id)
    [alert] = await alerts_of(platform, "same_address")
    assert alert.tender_id == tender.id and alert.state == "new"
    assert sorted(json.loads(alert.organisation_ids)) == sorted([alice.user.organisation_id, bob.user.organisation_id])
    evidence = json.loads(alert.evidence)
    assert evidence["kind"] == "address" and evidence["value"] == "203.0.113.7" and evidence["lots"] == [1]
    assert {b["bid_id"] for b in evidence["bids"]} == {first["id"], second["id"]}
    assert all(b["submitted_at"] and b["upload_started_at"] for b in evidence["bids"])
    assert await alerts_of(platform, "signed_together") == []  # ten minutes apart
    [raised] = [e for e in await actions(platform, "supervision.alert_raised") if json.loads(e.details)["rule"] == "same_address"]
    assert raised.seq == alert.audit_seq

    # Checked once: another sweep, or the same finding again, raises nothing new.
    clock.advance(timedelta(hours=1))
    await past_deadline(client, platform, clock, tender.id)
    async with platform.db.transaction() as session:
        again = await rules.same_address(session, await session.get(Tender, tender.id), await rules.load_thresholds(session))
        assert await service.raise_findings(session, platform, again) == []
    assert len(await alerts_of(platform, "same_address")) == 1


async def test_the_start_records_the_address_and_the_fingerprint_and_one_fingerprint_raises_an_alert(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob = [await bidder(client, users, tender.id) for _ in range(2)]
    first = await bid(client, alice, tender.id, 2, fingerprint="device-4f2a")
    clock.advance(timedelta(minutes=5))
    second = await bid(client, bob, tender.id, 2, fingerprint="device-4f2a")
    async with platform.db.transaction(write=False) as session:
        upload = (await session.execute(select(BidUpload).join(Bid, Bid.upload_id == BidUpload.id).where(Bid.id == first["id"]))).scalar_one()
    assert upload.client_ip == "testclient"  # the in-process test client's peer
    assert upload.client_fingerprint.startswith("device-4f2a | ")
    await from_address(platform, first["id"], "203.0.113.7")
    await from_address(platform, second["id"], "198.51.100.9")
    await past_deadline(client, platform, clock, tender.id)
    [alert] = await alerts_of(platform, "same_address")
    evidence = json.loads(alert.evidence)
    assert evidence["kind"] == "fingerprint" and evidence["value"] == "device-4f2a" and evidence["lots"] == [2]


async def test_a_user_agent_alone_is_no_fingerprint_and_one_organisation_is_no_pair(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob = [await bidder(client, users, tender.id) for _ in range(2)]
    first = await bid(client, alice, tender.id, 1)
    clock.advance(timedelta(minutes=5))
    second = await bid(client, alice, tender.id, 2)  # the same bidder on both lots, from one address: normal
    clock.advance(timedelta(minutes=5))
    third = await bid(client, bob, tender.id, 1)
    await from_address(platform, first["id"], "203.0.113.7")
    await from_address(platform, second["id"], "203.0.113.7")
    await from_address(platform, third["id"], "198.51.100.9")
    await past_deadline(client, platform, clock, tender.id)
    assert await alerts_of(platform, "same_address") == []  # both sent the test client's User-Agent: not evidence
    assert await alerts_of(platform, "signed_together") == []


async def test_bids_completed_within_seconds_raise_signed_together(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob, carol = [await bidder(client, users, tender.id) for _ in range(3)]
    first = await bid(client, alice, tender.id, 1)
    clock.advance(timedelta(seconds=1))
    second = await bid(client, bob, tender.id, 1)
    clock.advance(timedelta(seconds=30))
    third = await bid(client, carol, tender.id, 1)  # outside the 2-second window
    for number, made in enumerate((first, second, third)):
        await from_address(platform, made["id"], f"198.51.100.{number + 1}")
    await past_deadline(client, platform, clock, tender.id)
    [alert] = await alerts_of(platform, "signed_together")
    evidence = json.loads(alert.evidence)
    assert {b["bid_id"] for b in evidence["bids"]} == {first["id"], second["id"]}
    assert evidence["span_seconds"] == 1.0 and alert.lot_number == 1
    assert await alerts_of(platform, "same_address") == []


def test_the_opening_keeps_each_files_digest_and_size() -> None:
    keys = envelope.BidderKeys.generate("t")
    sealed = envelope.seal(envelope.Binding(1, 1, 1, 1), {"price": "1.00"}, [envelope.PayloadFile.from_bytes("a.pdf", b"abc")],
                           [keys.x25519.public_key()], signer=keys.ed25519)
    header = sealed.header
    fields = _open_all(iter([b"".join(sealed)]), envelope.unwrap_content_key(header, keys.x25519))
    assert fields["files"] == [{"name": "a.pdf", "size": 3, "digest": envelope.PayloadFile.from_bytes("a.pdf", b"abc").digest.hex()}]


async def _opened_with(platform, tender_id: int, opened: dict[int, dict]) -> None:
    """The bids as the opening left them (fields as ``bidding.opening._open_all`` stores them)."""
    async with platform.db.transaction() as session:
        for bid_id, fields in opened.items():
            await session.execute(update(Bid).where(Bid.id == bid_id).values(status=BidStatus.opened, opening_fields=json.dumps(fields)))


def _file(name: str, content: bytes) -> dict:
    return {"name": name, "size": len(content), "digest": envelope.PayloadFile.from_bytes(name, content).digest.hex()}


async def test_identical_files_across_bidders_raise_an_alert_and_different_ones_do_not(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob, carol = [await bidder(client, users, tender.id) for _ in range(3)]
    made = []
    for who in (alice, bob, carol):
        made.append(await bid(client, who, tender.id, 1))
        clock.advance(timedelta(minutes=3))
    await past_deadline(client, platform, clock, tender.id)
    await _opened_with(platform, tender.id, {
        made[0]["id"]: {"price": "700000.00", "files": [_file("技术标.pdf", b"same text"), _file("empty.txt", b"")]},
        made[1]["id"]: {"price": "720000.00", "files": [_file("投标文件.pdf", b"same text"), _file("empty.txt", b"")]},
        made[2]["id"]: {"price": "765000.00", "files": [_file("技术标.pdf", b"another text"), "old-style name only"]},
    })
    async with platform.db.transaction() as session:
        assert await service.check_stage(session, platform, tender.id, "opened")
    [alert] = await alerts_of(platform, "identical_documents")
    evidence = json.loads(alert.evidence)
    assert evidence["digest"] == _file("x", b"same text")["digest"]  # the empty files, identical too, are left out
    assert {f["name"] for f in evidence["files"]} == {"技术标.pdf", "投标文件.pdf"}
    assert sorted(json.loads(alert.organisation_ids)) == sorted([alice.user.organisation_id, bob.user.organisation_id])
    assert await alerts_of(platform, "price_pattern") == []  # gaps 20000 and 45000; spread over 9%


async def test_prices_with_fixed_gaps_or_a_tiny_spread_raise_price_pattern(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    bidders = [await bidder(client, users, tender.id) for _ in range(3)]
    made = {1: [], 2: []}
    for lot in (1, 2):
        for who in bidders:
            made[lot].append(await bid(client, who, tender.id, lot))
            clock.advance(timedelta(minutes=3))
    await past_deadline(client, platform, clock, tender.id)
    await _opened_with(platform, tender.id, {
        # Lot 1: 10,000.00 apart to the fen (one gap a fen off: within the tolerance).
        made[1][0]["id"]: {"price": "700000.00"}, made[1][1]["id"]: {"price": "710000.00"}, made[1][2]["id"]: {"price": "720000.01"},
        # Lot 2: all within 0.2% of the lowest, gaps unequal.
        made[2][0]["id"]: {"price": "400000.00"}, made[2][1]["id"]: {"price": "400300.00"}, made[2][2]["id"]: {"price": "400700.00"},
    })
    async with platform.db.transaction() as session:
        await service.check_stage(session, platform, tender.id, "opened")
    found = {(a.lot_number, json.loads(a.evidence)["pattern"]) for a in await alerts_of(platform, "price_pattern")}
    assert found == {(1, "fixed_gap"), (2, "tiny_spread")}


async def test_price_pattern_needs_three_bidders_and_honours_its_threshold(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob = [await bidder(client, users, tender.id) for _ in range(2)]
    made = [await bid(client, alice, tender.id, 1)]
    clock.advance(timedelta(minutes=3))
    made.append(await bid(client, bob, tender.id, 1))
    await past_deadline(client, platform, clock, tender.id)
    await _opened_with(platform, tender.id, {made[0]["id"]: {"price": "400000.00"}, made[1]["id"]: {"price": "400000.00"}})
    async with platform.db.transaction() as session:
        tender_row = await session.get(Tender, tender.id)
        assert await rules.price_pattern(session, tender_row, await rules.load_thresholds(session)) == []
        # With the minimum lowered to two for this region (configuration), the identical prices are a pattern.
        session.add(rules.RiskThreshold(name="price_min_bids", region=tender_row.region, value="2"))
        await session.flush()
        [finding] = await rules.price_pattern(session, tender_row, await rules.load_thresholds(session))
        assert finding.evidence["pattern"] == "tiny_spread"
