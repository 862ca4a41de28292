"""The remote opening: bidders release their keys, the platform opens, the record is published; nothing opens early."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from bidding import envelope
from procurement.credit.models import BlacklistEntry, CreditCheck, EntryStatus
from procurement.identity.models import Organisation, Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests.bidding.bid_testlib import (
    Bidder,
    bidder,
    open_tender,
    sealed,
    server_copy,
    submit,
)
from tests.conftest import bearer

ONE_LOT = [{"title": "全部内容", "budget": "1250000.00", "bid_security": "25000.00"}]
PRICES = ("1180000.00", "1199000.50", "1210000.00")


async def _closed_with_bids(client, users, platform, clock, count: int = 3):
    tender = await open_tender(client, users, clock, lots=ONE_LOT)
    bidders: list[tuple[Bidder, dict, bytes]] = []
    for price in PRICES[:count]:
        who = await bidder(client, users, tender.id)
        data, signature = sealed(who, tender.id, 1, 1, price=price, content=b"%PDF technical offer " + price.encode())
        completed = await submit(client, who, tender.id, 1, data, signature)
        assert completed.status_code == 201, completed.text
        bidders.append((who, completed.json(), data))
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    return tender, bidders


def _content_key(who: Bidder, data: bytes) -> str:
    """What the bidder does on its own machine: unwrap the content key with its private key."""
    header = envelope.read_header([data])
    return base64.b64encode(envelope.unwrap_content_key(header, who.keys.x25519)).decode()


async def test_the_bidders_release_the_opening_record_is_published_and_the_tender_is_opened(client, users, platform, clock) -> None:
    tender, bidders = await _closed_with_bids(client, users, platform, clock)
    first, bid, data = bidders[0]
    early = await client.post(f"/api/bids/{bid['id']}/release", headers=await bearer(client, first.user), json={"content_key": _content_key(first, data)})
    assert early.status_code == 409  # the opening has not started
    supplier = await bearer(client, first.user)
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=supplier, json={})).status_code == 403
    operator = await bearer(client, await users.make(Role.operator))
    started = await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={"release_minutes": 30})
    assert started.status_code == 201, started.text

    wrong = await client.post(f"/api/bids/{bid['id']}/release", headers=supplier,
                              json={"content_key": base64.b64encode(b"\x01" * 32).decode()})
    assert wrong.status_code == 422 and "body.content_key" in wrong.text
    other = bidders[1][0]
    assert (await client.post(f"/api/bids/{bid['id']}/release", headers=await bearer(client, other.user),
                              json={"content_key": _content_key(first, data)})).status_code == 404
    for who, their_bid, their_data in bidders:
        released = await client.post(f"/api/bids/{their_bid['id']}/release", headers=await bearer(client, who.user),
                                     json={"content_key": _content_key(who, their_data)})
        assert released.status_code == 200 and released.json()["status"] == "opened", released.text
    progress = (await client.get(f"/api/tenders/{tender.id}/opening", headers=operator)).json()
    assert [row["status"] for row in progress["lots"]["1"]] == ["opened"] * 3
    assert all(row["fields"] is None for row in progress["lots"]["1"])  # prices come out together, at the close

    closed = await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)
    assert closed.status_code == 200
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "opened"
    record = (await client.get(f"/api/tenders/{tender.id}/notices")).json()[-1]
    assert record["kind"] == "opening" and record["title"].endswith("开标记录")
    rows = record["content"]["details"]["opening"]["lots"]["1"]
    assert sorted(row["fields"]["price"] for row in rows) == sorted(PRICES)
    page = await client.get(f"/notices/{record['id']}")
    assert page.status_code == 200 and "1,199,000.50" in page.text


async def test_bids_not_released_in_time_fail_and_too_few_valid_bids_fail_the_tender(client, users, platform, clock) -> None:
    tender, bidders = await _closed_with_bids(client, users, platform, clock)
    operator = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={"release_minutes": 30})).status_code == 201
    for who, bid, data in bidders[:2]:
        released = await client.post(f"/api/bids/{bid['id']}/release", headers=await bearer(client, who.user), json={"content_key": _content_key(who, data)})
        assert released.status_code == 200
    clock.advance(timedelta(minutes=31))
    late, late_bid, late_data = bidders[2]
    refused = await client.post(f"/api/bids/{late_bid['id']}/release", headers=await bearer(client, late.user),
                                json={"content_key": _content_key(late, late_data)})
    assert refused.status_code == 409 and "window" in refused.text
    assert (await sweep(platform, build_registry())).ran >= 1  # the scheduler closes the opening
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"
    failed = (await client.get(f"/api/tenders/{tender.id}/notices")).json()[-1]
    assert failed["kind"] == "failed" and failed["content"]["details"]["valid_bids"] == {"1": 2}


def _candidate_secrets(root: Path) -> set[bytes]:
    """Every 32-byte value a server-side copy could hold as a key: raw, base64 or hex."""
    found: set[bytes] = set()
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for token in re.findall(rb"[A-Za-z0-9+/]{42,44}={0,2}", data):
            try:
                decoded = base64.b64decode(token + b"=" * (-len(token) % 4))
            except ValueError:
                continue
            if len(decoded) == 32:
                found.add(decoded)
        for token in re.findall(rb"[0-9a-f]{64}", data):
            found.add(bytes.fromhex(token.decode()))
        if path.stat().st_size <= 4096:  # key files: every window
            found.update(data[i:i + 32] for i in range(max(len(data) - 31, 0)))
    return found


async def test_nothing_the_server_holds_before_the_deadline_opens_a_bid(client, users, platform, clock, tmp_path) -> None:
    tender = await open_tender(client, users, clock, lots=ONE_LOT)
    who = await bidder(client, users, tender.id)
    data, signature = sealed(who, tender.id, 1, 1, price="990000.00")
    assert (await submit(client, who, tender.id, 1, data, signature)).status_code == 201
    # Everything on the server side before the deadline: the database, the object store, the keys.
    copy = server_copy(platform, tmp_path)
    header = envelope.read_header([data])
    candidates = _candidate_secrets(copy)
    assert len(candidates) > 100  # the copy is not empty: hashes, keys, tokens are all tried
    for candidate in candidates:
        assert not envelope.check_content_key(header, candidate)
        try:
            envelope.unwrap_content_key(header, X25519PrivateKey.from_private_bytes(candidate))
        except envelope.EnvelopeError:
            continue
        raise AssertionError("a server-side value unwrapped the bid's content key")
    # The bidder's own key, which never left its machine, does open it.
    opened = envelope.open_envelope([data], envelope.unwrap_content_key(header, who.keys.x25519))
    assert opened.manifest.fields["price"] == "990000.00"


async def test_credit_is_checked_again_at_the_opening(client, users, platform, clock) -> None:
    tender, bidders = await _closed_with_bids(client, users, platform, clock)
    operator = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={})).status_code == 201
    for who, bid, data in bidders:
        assert (await client.post(f"/api/bids/{bid['id']}/release", headers=await bearer(client, who.user),
                                  json={"content_key": _content_key(who, data)})).status_code == 200
    debarred = bidders[0][0]
    async with platform.db.transaction() as session:
        organisation = await session.get(Organisation, debarred.user.organisation_id)
        session.add(BlacklistEntry(
            uscc=organisation.uscc, organisation_name=organisation.name, conduct="串通投标", penalty="禁止参加政府采购活动一年",
            legal_basis="政府采购法 第七十七条", authority="海口市财政局", starts_on=date(2025, 1, 1), ends_on=date(2030, 1, 1),
            status=EntryStatus.in_force, proposed_by=debarred.user.user_id, created_at=clock.now(), updated_at=clock.now(),
        ))
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)).status_code == 200
    async with platform.db.transaction(write=False) as session:
        checks = list((await session.execute(select(CreditCheck).where(CreditCheck.purpose == "opening"))).scalars())
    assert sorted(c.passed for c in checks) == [False, True, True]
    # Two valid bids remain: fewer than three, so the tender fails.
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"


async def test_the_release_window_is_the_tenders(client, users, platform, clock) -> None:
    from tests.tenders.tender_testlib import draft_body

    tender = await open_tender(client, users, clock, lots=ONE_LOT,
                               timeline=draft_body(clock.now())["timeline"] | {"release_minutes": 12})
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["release_minutes"] == 12
    notice = (await client.get(f"/api/tenders/{tender.id}/notices")).json()[0]
    assert notice["content"]["tender"]["timeline"]["release_minutes"] == 12
    for price in PRICES:
        who = await bidder(client, users, tender.id)
        assert (await submit(client, who, tender.id, 1, *sealed(who, tender.id, 1, 1, price=price))).status_code == 201
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender.id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    operator = await bearer(client, await users.make(Role.operator))
    started = await client.post(f"/api/tenders/{tender.id}/opening", headers=operator, json={})
    assert started.status_code == 201
    window = datetime.fromisoformat(started.json()["release_until"]) - datetime.fromisoformat(started.json()["started_at"])
    assert window == timedelta(minutes=12)
