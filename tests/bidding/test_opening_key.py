"""The tender's opening key: custodians named before publication, shares released after the deadline, the fallback at the close."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from sqlalchemy import select

from bidding import envelope, opening_key, shamir
from bidding.models import Bid
from bidding.opening_key_models import OpeningKeyShare, TenderOpeningKey
from procurement.audit.models import AuditEntry
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from tests import conftest
from tests.bidding.bid_testlib import Bidder, bidder, sealed, server_copy, submit
from tests.bidding.test_opening import _candidate_secrets
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_tender_lifecycle import _all_checked

ONE_LOT = [{"title": "全部内容", "budget": "1250000.00", "bid_security": "25000.00"}]
PRICES = ("1180000.00", "1199000.50", "1210000.00")


@dataclass
class Custodian:
    user: conftest.TestUser
    headers: dict[str, str]
    key: X25519PrivateKey


@dataclass
class Accepted:
    id: int
    owner: dict[str, str]
    purchaser: conftest.TestUser


async def _accepted(client, users, clock) -> Accepted:
    """A tender through entry review, not yet published: when custodians are named."""
    purchaser = await users.make(Role.purchaser)
    owner, centre = await bearer(client, purchaser), await bearer(client, await users.make(Role.operator))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), lots=ONE_LOT))).json()["id"]
    uploaded = await client.post(f"/api/tenders/{tender_id}/documents", params={"name": "招标文件.pdf", "kind": "tender_documents"},
                                 headers={**owner, "Content-Type": "application/pdf"}, content=b"%PDF-1.7 tender documents")
    assert uploaded.status_code == 201, uploaded.text
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    reviewed = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked()})
    assert reviewed.status_code == 200, reviewed.text
    return Accepted(tender_id, owner, purchaser)


async def _custodian(client, users, role: Role, organisation_id: int | None = None, *, with_key: bool = True) -> Custodian:
    user = await users.make(role, organisation_id=organisation_id)
    headers = await bearer(client, user)
    key = X25519PrivateKey.generate()
    if with_key:
        public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
        assert (await client.post("/api/me/keys", headers=headers, json={"algorithm": "x25519", "public_key": public})).status_code == 201
    return Custodian(user, headers, key)


async def _three_custodians(client, users, tender: Accepted) -> list[Custodian]:
    """The purchaser's representative, the agency and a supervisor: three organisations."""
    return [
        await _custodian(client, users, Role.purchaser, tender.purchaser.organisation_id),
        await _custodian(client, users, Role.agency),
        await _custodian(client, users, Role.supervisor),
    ]


async def _set(client, tender: Accepted, custodians: list[Custodian], threshold: int = 2):
    return await client.post(f"/api/tenders/{tender.id}/opening-key", headers=tender.owner,
                             json={"custodians": [c.user.user_id for c in custodians], "threshold": threshold})


async def _unwrapped(client, tender_id: int, custodian: Custodian) -> str:
    """What the custodian does on its own machine: fetch its wrapped share and unwrap it with its private key."""
    mine = await client.get(f"/api/tenders/{tender_id}/opening-key/shares/mine", headers=await bearer(client, custodian.user))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    binding = opening_key.ShareBinding(tender_id, bytes.fromhex(body["custodian_key_id"]), body["x"])
    return base64.b64encode(opening_key.unwrap_share(base64.b64decode(body["wrapped_share"]), custodian.key, binding)).decode()


def _sealed_to_both(who: Bidder, tender_id: int, opening_public: bytes, price: str) -> tuple[bytes, str]:
    result = envelope.seal(
        envelope.Binding(tender_id, 1, who.user.organisation_id, 1), {"price": price, "currency": "CNY", "duration_days": 180},
        [envelope.PayloadFile.from_bytes("技术标.pdf", b"%PDF technical offer " + price.encode())],
        [who.keys.x25519.public_key(), X25519PublicKey.from_public_bytes(opening_public)], signer=who.keys.ed25519, segment_size=4096,
    )
    data = b"".join(result)
    return data, base64.b64encode(result.signature).decode()


async def _published_with_bids(client, users, platform, clock):
    """Custodians named, the tender published, three bids sealed to their bidders and to the opening key."""
    tender = await _accepted(client, users, clock)
    custodians = await _three_custodians(client, users, tender)
    created = await _set(client, tender, custodians)
    assert created.status_code == 201, created.text
    public = base64.b64decode(created.json()["public_key"])
    assert (await client.post(f"/api/tenders/{tender.id}/publish", headers=tender.owner, json={})).status_code == 200
    clock.advance(timedelta(days=1, hours=1))
    bids = []
    for price in PRICES:
        who = await bidder(client, users, tender.id)
        data, signature = _sealed_to_both(who, tender.id, public, price)
        completed = await submit(client, who, tender.id, 1, data, signature)
        assert completed.status_code == 201, completed.text
        bids.append((who, completed.json(), data))
    return tender, custodians, public, bids


async def _past_deadline_and_opening(client, users, platform, clock, tender_id: int) -> dict[str, str]:
    deadline = datetime.fromisoformat((await client.get(f"/api/tenders/{tender_id}")).json()["bid_deadline"])
    clock.set(deadline + timedelta(seconds=1))
    for _ in range(2):
        await sweep(platform, build_registry())
    operator = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/tenders/{tender_id}/opening", headers=operator, json={"release_minutes": 30})).status_code == 201
    return operator


async def _release_own(client, who: Bidder, bid: dict, data: bytes) -> None:
    key = envelope.unwrap_content_key(envelope.read_header([data]), who.keys.x25519)
    released = await client.post(f"/api/bids/{bid['id']}/release", headers=await bearer(client, who.user), json={"content_key": base64.b64encode(key).decode()})
    assert released.status_code == 200, released.text


async def _share_rows(platform, tender_id: int) -> list[OpeningKeyShare]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(OpeningKeyShare).where(OpeningKeyShare.tender_id == tender_id)
                                           .order_by(OpeningKeyShare.x))).scalars())


# --- Naming the custodians --------------------------------------------------------------------------------


async def test_custodians_are_named_by_the_owner_before_publication_and_every_bad_choice_is_refused(client, users, platform, clock) -> None:
    tender = await _accepted(client, users, clock)
    custodians = await _three_custodians(client, users, tender)
    ids = [c.user.user_id for c in custodians]
    url = f"/api/tenders/{tender.id}/opening-key"

    stranger = await bearer(client, await users.make(Role.purchaser))
    # Another organisation does not even see the tender before publication; a supervisor may see it but not change it.
    assert (await client.post(url, headers=stranger, json={"custodians": ids, "threshold": 2})).status_code == 404
    supervisor = await bearer(client, custodians[2].user)
    assert (await client.post(url, headers=supervisor, json={"custodians": ids, "threshold": 2})).status_code == 403

    async def refused(body: dict, field: str, text: str) -> None:
        answer = await client.post(url, headers=tender.owner, json=body)
        assert answer.status_code == 422, answer.text
        assert field in answer.text and text in answer.text, answer.text

    keyless = await _custodian(client, users, Role.agency, with_key=False)
    await refused({"custodians": [*ids, keyless.user.user_id], "threshold": 2}, "body.custodians[3]", "no active X25519 key")
    second_of_owner = await _custodian(client, users, Role.purchaser, tender.purchaser.organisation_id)
    await refused({"custodians": [ids[0], second_of_owner.user.user_id], "threshold": 2}, "body.custodians", "at least two organisations")
    await refused({"custodians": [ids[0], second_of_owner.user.user_id, ids[1]], "threshold": 2}, "body.custodians", "one organisation would hold 2")
    await refused({"custodians": ids, "threshold": 4}, "body.threshold", "at most the number of custodians")
    await refused({"custodians": ids, "threshold": 1}, "body.threshold", "at least 2")
    await refused({"custodians": [ids[0], ids[0], ids[1]], "threshold": 2}, "body.custodians", "more than once")
    await refused({"custodians": [*ids, 2**31 - 2], "threshold": 2}, "body.custodians[3]", "does not exist")
    supplier = await _custodian(client, users, Role.supplier)
    await refused({"custodians": [*ids, supplier.user.user_id], "threshold": 2}, "body.custodians[3]", "supplier")
    assert (await client.get(url, headers=tender.owner)).status_code == 404  # nothing was made

    created = await _set(client, tender, custodians)
    assert created.status_code == 201, created.text
    body = created.json()
    public = base64.b64decode(body["public_key"])
    assert body["threshold"] == 2 and body["custodian_count"] == 3 and body["rebuilt_at"] is None
    assert body["key_id"] == envelope.recipient_key_id(public).hex()
    assert [c["x"] for c in body["custodians"]] == [1, 2, 3] and not any(c["released"] for c in body["custodians"])
    assert (await _set(client, tender, custodians)).status_code == 409  # set once

    # Before publication only those who may see the tender see its key; after it, everyone.
    assert (await client.get(url)).status_code == 404
    assert (await client.post(f"/api/tenders/{tender.id}/publish", headers=tender.owner, json={})).status_code == 200
    shown = await client.get(url)
    assert shown.status_code == 200 and shown.json()["public_key"] == body["public_key"]
    assert (await _set(client, tender, custodians)).status_code == 409
    # Each custodian can fetch and unwrap only its own share; the shares rebuild the published key.
    shares = [shamir.Share(x, base64.b64decode(await _unwrapped(client, tender.id, c))) for x, c in enumerate(custodians, start=1)]
    assert (await client.get(f"{url}/shares/mine", headers=stranger)).status_code == 404
    private = X25519PrivateKey.from_private_bytes(shamir.combine(shares[:2]))
    assert private.public_key().public_bytes_raw() == public
    async with platform.db.transaction(write=False) as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "opening_key.created"))).scalars().one()
    assert str(tender.id) == entry.subject_id and body["public_key"] in entry.details


async def test_the_key_is_set_only_while_the_tender_is_accepted(client, users, platform, clock) -> None:
    purchaser = await users.make(Role.purchaser)
    owner = await bearer(client, purchaser)
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), lots=ONE_LOT))).json()["id"]
    custodians = [await _custodian(client, users, Role.agency), await _custodian(client, users, Role.supervisor)]
    answer = await client.post(f"/api/tenders/{tender_id}/opening-key", headers=owner,
                               json={"custodians": [c.user.user_id for c in custodians], "threshold": 2})
    assert answer.status_code == 409 and "before it is published" in answer.text


# --- Sealing, releasing shares, the fallback -----------------------------------------------------------------


async def test_a_bid_must_be_sealed_to_the_opening_key_too(client, users, platform, clock) -> None:
    tender, _, _, _ = await _published_with_bids(client, users, platform, clock)
    who = await bidder(client, users, tender.id)
    data, signature = sealed(who, tender.id, 1, 1)  # the bidder's own key only
    refused = await submit(client, who, tender.id, 1, data, signature)
    assert refused.status_code == 422 and "envelope.header.recipients" in refused.text and "opening key" in refused.text


async def test_shares_rebuild_the_key_only_after_the_deadline_and_with_k_of_them_and_an_unreleased_bid_opens(client, users, platform, clock) -> None:
    tender, custodians, _, bids = await _published_with_bids(client, users, platform, clock)
    url = f"/api/tenders/{tender.id}/opening-key/shares"
    first, second, third = custodians
    early = await client.post(url, headers=await bearer(client, first.user), json={"share": await _unwrapped(client, tender.id, first)})
    assert early.status_code == 409 and "after the bid deadline" in early.text

    operator = await _past_deadline_and_opening(client, users, platform, clock, tender.id)
    stranger = await bearer(client, await users.make(Role.agency))
    assert (await client.post(url, headers=stranger, json={"share": await _unwrapped(client, tender.id, first)})).status_code == 403
    # Another custodian's share, or garbage, is refused at once by the commitment; nothing is recorded.
    wrong = await client.post(url, headers=await bearer(client, first.user), json={"share": await _unwrapped(client, tender.id, second)})
    assert wrong.status_code == 422 and "body.share" in wrong.text and "commitment" in wrong.text
    bad = await client.post(url, headers=await bearer(client, first.user), json={"share": base64.b64encode(b"\x07" * 31).decode()})
    assert bad.status_code == 422 and "body.share" in bad.text
    assert all(row.released_at is None for row in await _share_rows(platform, tender.id))

    released = await client.post(url, headers=await bearer(client, first.user), json={"share": await _unwrapped(client, tender.id, first)})
    assert released.status_code == 200, released.text
    assert (await client.post(url, headers=await bearer(client, first.user), json={"share": await _unwrapped(client, tender.id, first)})).status_code == 409
    # k − 1 shares: no key, and the fallback opens nothing.
    assert (await client.get(f"/api/tenders/{tender.id}/opening-key")).json()["rebuilt_at"] is None
    async with platform.db.transaction(write=False) as session:
        unreleased = await session.get(Bid, bids[2][1]["id"])
        assert await opening_key.fallback_content_key(session, platform, unreleased) is None

    done = await client.post(url, headers=await bearer(client, third.user), json={"share": await _unwrapped(client, tender.id, third)})
    assert done.status_code == 200, done.text
    shown = (await client.get(f"/api/tenders/{tender.id}/opening-key")).json()
    assert shown["rebuilt_at"] is not None and [c["released"] for c in shown["custodians"]] == [True, False, True]

    for who, bid, data in bids[:2]:
        await _release_own(client, who, bid, data)
    closed = await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)
    assert closed.status_code == 200, closed.text
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "opened"
    record = (await client.get(f"/api/tenders/{tender.id}/notices")).json()[-1]
    rows = record["content"]["details"]["opening"]["lots"]["1"]
    assert sorted(row["fields"]["price"] for row in rows) == sorted(PRICES)
    async with platform.db.transaction(write=False) as session:
        third_bid = await session.get(Bid, bids[2][1]["id"])
        actions = [(e.action, e.details) for e in (await session.execute(select(AuditEntry).where(AuditEntry.action == "bid.opened")
                                                                          .order_by(AuditEntry.seq))).scalars()]
        key_row = await session.get(TenderOpeningKey, tender.id)
    assert third_bid.status == "opened" and third_bid.content_key == base64.b64encode(
        envelope.unwrap_content_key(envelope.read_header([bids[2][2]]), bids[2][0].keys.x25519)).decode()
    assert sum('"key_from":"opening_key"' in details.replace(" ", "") for _, details in actions) == 1
    assert key_row is not None and key_row.rebuilt_at is not None
    async with platform.db.transaction(write=False) as session:
        rebuilt = (await session.execute(select(AuditEntry).where(AuditEntry.action == "opening_key.rebuilt"))).scalars().one()
    assert '"shares":[1,3]' in rebuilt.details.replace(" ", "")


async def test_with_fewer_than_k_shares_an_unreleased_bid_fails_at_the_close(client, users, platform, clock) -> None:
    tender, custodians, _, bids = await _published_with_bids(client, users, platform, clock)
    operator = await _past_deadline_and_opening(client, users, platform, clock, tender.id)
    first = custodians[0]
    assert (await client.post(f"/api/tenders/{tender.id}/opening-key/shares", headers=await bearer(client, first.user),
                              json={"share": await _unwrapped(client, tender.id, first)})).status_code == 200
    for who, bid, data in bids[:2]:
        await _release_own(client, who, bid, data)
    assert (await client.post(f"/api/tenders/{tender.id}/opening/close", headers=operator)).status_code == 200
    async with platform.db.transaction(write=False) as session:
        third = await session.get(Bid, bids[2][1]["id"])
    assert third.status == "open_failed" and "did not release" in third.open_failure and third.content_key is None
    assert (await client.get(f"/api/tenders/{tender.id}")).json()["status"] == "failed"


# --- The private key rests nowhere -------------------------------------------------------------------------------


async def test_the_private_opening_key_is_nowhere_on_the_server_after_creation(client, users, platform, clock, tmp_path) -> None:
    tender, custodians, public, bids = await _published_with_bids(client, users, platform, clock)
    copy = server_copy(platform, tmp_path)
    # The key only the custodians together can make: rebuilt here, on "their" side.
    shares = [shamir.Share(x, base64.b64decode(await _unwrapped(client, tender.id, c))) for x, c in enumerate(custodians, start=1)]
    private = shamir.combine(shares[:2])
    assert X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw() == public
    raw_forms = [private, base64.b64encode(private), base64.b64encode(private).rstrip(b"="), private.hex().encode(),
                 base64.urlsafe_b64encode(private).rstrip(b"=")]
    for path in copy.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(form in data for form in raw_forms), f"the opening key's private half is in {path}"
            assert not any(share.y in data for share in shares), f"an unwrapped share is in {path}"
    candidates = _candidate_secrets(copy)
    assert len(candidates) > 100
    assert private not in candidates and not any(share.y in candidates for share in shares)
    for candidate in candidates:
        assert X25519PrivateKey.from_private_bytes(candidate).public_key().public_bytes_raw() != public
    header = envelope.read_header([bids[0][2]])
    assert envelope.unwrap_content_key(header, X25519PrivateKey.from_private_bytes(private))  # the custodians' key does open a bid


# --- The wrap ----------------------------------------------------------------------------------------------------


def test_a_wrapped_share_opens_only_with_its_key_and_binding() -> None:
    custodian = X25519PrivateKey.generate()
    fingerprint = envelope.recipient_key_id(custodian.public_key().public_bytes_raw())
    binding = opening_key.ShareBinding(7, fingerprint, 3)
    share = bytes(range(32))
    wrapped = opening_key.wrap_share(share, custodian.public_key(), binding)
    assert len(wrapped) == opening_key.WRAPPED_SIZE and opening_key.unwrap_share(wrapped, custodian, binding) == share
    assert opening_key.wrap_share(share, custodian.public_key(), binding) != wrapped  # a fresh ephemeral key each time
    for other in (opening_key.ShareBinding(8, fingerprint, 3), opening_key.ShareBinding(7, fingerprint, 4)):
        try:
            opening_key.unwrap_share(wrapped, custodian, other)
        except opening_key.ShareUnwrapFailed:
            continue
        raise AssertionError("a share unwrapped under another binding")
    for tampered in (wrapped[:-1] + bytes([wrapped[-1] ^ 1]), wrapped[:40], bytes(32) + wrapped[32:]):
        try:
            opening_key.unwrap_share(tampered, custodian, binding)
        except opening_key.ShareUnwrapFailed:
            continue
        raise AssertionError("a tampered share unwrapped")
    try:
        opening_key.unwrap_share(wrapped, X25519PrivateKey.generate(), binding)
    except opening_key.ShareUnwrapFailed:
        pass
    else:
        raise AssertionError("another key unwrapped the share")
    assert opening_key.share_commitment(7, 3, share) != opening_key.share_commitment(7, 2, share)
