"""Submitting sealed bids: uploads in parts, the checks on completion, receipts, versions, withdrawal, the deadline."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bidding import envelope
from bidding.models import Bid, BidUpload
from bidding.receipts import verify_receipt
from procurement.credit.models import CreditCheck
from procurement.identity.models import Role
from tests.bidding.bid_testlib import bidder, open_tender, sealed, submit
from tests.conftest import bearer


async def _count(platform, model, **where) -> int:
    async with platform.db.transaction(write=False) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return (await session.execute(query)).scalar_one()


async def test_a_bid_in_parts_gets_a_receipt_that_verifies_offline(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    data, signature = sealed(alice, tender.id, 1, 1, content=bytes(range(256)) * 200)
    completed = await submit(client, alice, tender.id, 1, data, signature, part_size=7000)
    assert completed.status_code == 201, completed.text
    bid = completed.json()
    assert (bid["lot_number"], bid["version"], bid["status"], bid["size"]) == (1, 1, "submitted", len(data))

    check = verify_receipt(bid["receipt"], bid["receipt_signature"], platform.keys.public_key)
    assert check.ok, check.failures
    assert bid["receipt"]["bid"]["envelope_sha256"] == bid["envelope_sha256"]
    # A receipt altered anywhere no longer verifies.
    forged = json.loads(json.dumps(bid["receipt"]))
    forged["bid"]["size"] += 1
    assert not verify_receipt(forged, bid["receipt_signature"], platform.keys.public_key).ok
    # The credit check was made and kept.
    assert await _count(platform, CreditCheck, purpose="bid_submission", passed=True) == 1


async def test_a_new_version_supersedes_and_a_bid_can_be_withdrawn(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    first = await submit(client, alice, tender.id, 1, *sealed(alice, tender.id, 1, 1))
    assert first.status_code == 201
    stale = sealed(alice, tender.id, 1, 1, price="1.00")
    refused = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers, json={"bid_version": 1, "size": len(stale[0])})
    assert refused.status_code == 422 and "version 2" in refused.text
    second = await submit(client, alice, tender.id, 1, *sealed(alice, tender.id, 1, 2, price="760000.00"), version=2)
    assert second.status_code == 201
    mine = (await client.get(f"/api/tenders/{tender.id}/bids/mine", headers=alice.headers)).json()
    assert [(b["version"], b["status"]) for b in mine["bids"]] == [(1, "superseded"), (2, "submitted")]
    assert mine["next_versions"] == {"1": 3, "2": 1}
    withdrawn = await client.post(f"/api/bids/{second.json()['id']}/withdraw", headers=alice.headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (await client.post(f"/api/bids/{first.json()['id']}/withdraw", headers=alice.headers)).status_code == 409


async def test_an_envelope_that_is_not_this_bid_is_refused_and_nothing_is_recorded(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, mallory = await bidder(client, users, tender.id), await bidder(client, users, tender.id)
    data, signature = sealed(alice, tender.id, 1, 1)
    # Sealed for lot 1 but sent as lot 2; signed by someone else; a byte changed; cut short.
    wrong_lot = await submit(client, alice, tender.id, 2, data, signature)
    assert wrong_lot.status_code == 422 and "envelope.header" in wrong_lot.text
    _, mallory_signature = sealed(mallory, tender.id, 1, 1)
    assert (await submit(client, alice, tender.id, 1, data, mallory_signature)).status_code == 422
    tampered = bytearray(data)
    tampered[-40] ^= 1
    assert (await submit(client, alice, tender.id, 1, bytes(tampered), signature)).status_code == 422
    # Sealed to a key that is not the organisation's: the bidder could not release it at the opening.
    sealed_elsewhere = envelope.seal(
        envelope.Binding(tender.id, 1, alice.user.organisation_id, 1), {"price": "1.00"}, [],
        [envelope.BidderKeys.generate().x25519.public_key()], signer=alice.keys.ed25519,
    )
    body = b"".join(sealed_elsewhere)
    elsewhere = await submit(client, alice, tender.id, 1, body, base64.b64encode(sealed_elsewhere.signature).decode())
    assert elsewhere.status_code == 422 and "recipients" in elsewhere.text
    assert await _count(platform, Bid) == 0


async def test_only_a_supplier_that_obtained_the_documents_and_registered_keys_may_bid(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    without_documents = await bidder(client, users)
    refused = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=without_documents.headers,
                                json={"bid_version": 1, "size": 1000})
    assert refused.status_code == 403 and "obtain the tender documents" in refused.text
    no_keys = await users.make(Role.supplier)
    no_keys_headers = await bearer(client, no_keys)
    assert (await client.post(f"/api/tenders/{tender.id}/obtained", headers=no_keys_headers)).status_code == 201
    refused = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=no_keys_headers, json={"bid_version": 1, "size": 1000})
    assert refused.status_code == 403 and "Ed25519" in refused.text
    for role in (Role.purchaser, Role.operator, Role.supervisor, Role.agency, Role.expert):
        headers = await bearer(client, await users.make(role))
        assert (await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=headers, json={"bid_version": 1, "size": 10})).status_code == 403
    assert await _count(platform, BidUpload) == 0


async def test_the_deadline_is_the_servers_clock_and_a_late_completion_is_refused(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    deadline = (await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"]
    data, signature = sealed(alice, tender.id, 1, 1)
    started = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers, json={"bid_version": 1, "size": len(data)})
    upload_id = started.json()["id"]
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=alice.headers, content=data)).status_code == 200
    clock.set(datetime.fromisoformat(deadline) + timedelta(microseconds=1))
    alice_again = await bearer(client, alice.user)
    late = await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=alice_again, json={"signature": signature})
    assert late.status_code == 409 and "deadline" in late.text
    assert await _count(platform, Bid) == 0


async def test_at_the_deadline_itself_a_bid_is_still_received(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    data, signature = sealed(alice, tender.id, 1, 1)
    started = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers, json={"bid_version": 1, "size": len(data)})
    upload_id = started.json()["id"]
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=alice.headers, content=data)).status_code == 200
    clock.set(deadline)
    completed = await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=await bearer(client, alice.user), json={"signature": signature})
    assert completed.status_code == 201, completed.text


async def test_another_organisation_cannot_see_or_touch_an_upload_or_a_bid(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice, bob = await bidder(client, users, tender.id), await bidder(client, users, tender.id)
    data, signature = sealed(alice, tender.id, 1, 1)
    started = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers, json={"bid_version": 1, "size": len(data)})
    upload_id = started.json()["id"]
    assert (await client.get(f"/api/bid-uploads/{upload_id}", headers=bob.headers)).status_code == 404
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=bob.headers, content=data)).status_code == 404
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=alice.headers, content=data)).status_code == 200
    assert (await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=bob.headers, json={"signature": signature})).status_code == 404
    bid = (await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=alice.headers, json={"signature": signature})).json()
    assert (await client.post(f"/api/bids/{bid['id']}/withdraw", headers=bob.headers)).status_code == 404
    assert (await client.get(f"/api/tenders/{tender.id}/bids/mine", headers=bob.headers)).json()["bids"] == []


async def test_a_resent_part_replaces_the_first(client, users, platform, clock) -> None:
    tender = await open_tender(client, users, clock)
    alice = await bidder(client, users, tender.id)
    data, signature = sealed(alice, tender.id, 1, 1, content=b"x" * 20000)
    started = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers, json={"bid_version": 1, "size": len(data)})
    upload_id = started.json()["id"]
    half = len(data) // 2
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=alice.headers, content=data[:half - 10])).status_code == 200
    # The link broke: part 1 arrived short. Resend it whole, then part 2.
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/1", headers=alice.headers, content=data[:half])).status_code == 200
    too_much = await client.put(f"/api/bid-uploads/{upload_id}/parts/2", headers=alice.headers, content=data[half:] + b"extra")
    assert too_much.status_code == 413
    assert (await client.put(f"/api/bid-uploads/{upload_id}/parts/2", headers=alice.headers, content=data[half:])).status_code == 200
    progress = (await client.get(f"/api/bid-uploads/{upload_id}", headers=alice.headers)).json()
    assert progress["received"] == len(data) and [p["number"] for p in progress["parts"]] == [1, 2]
    assert (await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=alice.headers, json={"signature": signature})).status_code == 201
    objects = [info.key async for info in platform.store.list(f"bids/{tender.id}/{upload_id}/")]
    assert len(objects) == 2  # the short first attempt is gone


async def test_a_tender_may_set_a_lower_size_limit_for_bids(client, users, platform, clock) -> None:
    from tests.tenders.tender_testlib import draft_body

    timeline = draft_body(clock.now())["timeline"] | {"max_bid_mib": 1}
    tender = await open_tender(client, users, clock, timeline=timeline)
    alice = await bidder(client, users, tender.id)
    too_big = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers,
                                json={"bid_version": 1, "size": 1024 * 1024 + 1})
    assert too_big.status_code == 413 and "1048576" in too_big.text
    fits = await client.post(f"/api/tenders/{tender.id}/lots/1/bid-uploads", headers=alice.headers, json={"bid_version": 1, "size": 1024 * 1024})
    assert fits.status_code == 201
