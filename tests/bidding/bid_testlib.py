"""A tender open for bids and bidders with registered keys, for the sealed-bid tests."""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bidding import envelope
from procurement.identity.models import Role
from tests.conftest import TestUser, bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_tender_lifecycle import _all_checked


@dataclass
class OpenTender:
    id: int
    owner: dict[str, str]
    purchaser: TestUser


@dataclass
class Bidder:
    user: TestUser
    headers: dict[str, str]
    keys: envelope.BidderKeys


async def open_tender(client, users, clock, **draft: Any) -> OpenTender:
    """Published, with its documents, and documents on offer from now on."""
    purchaser = await users.make(Role.purchaser)
    owner, centre = await bearer(client, purchaser), await bearer(client, await users.make(Role.operator))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now(), **draft))).json()["id"]
    uploaded = await client.post(
        f"/api/tenders/{tender_id}/documents", params={"name": "招标文件.pdf", "kind": "tender_documents"},
        headers={**owner, "Content-Type": "application/pdf"}, content=b"%PDF-1.7 tender documents",
    )
    assert uploaded.status_code == 201, uploaded.text
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    reviewed = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked()})
    assert reviewed.status_code == 200, reviewed.text
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})).status_code == 200
    clock.advance(timedelta(days=1, hours=1))  # documents on offer
    return OpenTender(tender_id, await bearer(client, purchaser), purchaser)


async def bidder(client, users, tender_id: int | None = None) -> Bidder:
    """A supplier user with X25519 and Ed25519 keys registered, which obtained the tender's documents."""
    user = await users.make(Role.supplier)
    headers = await bearer(client, user)
    keys = envelope.BidderKeys.generate("test")
    for algorithm, raw in (("x25519", keys.x25519_public), ("ed25519", keys.ed25519_public)):
        registered = await client.post("/api/me/keys", headers=headers, json={"algorithm": algorithm, "public_key": base64.b64encode(raw).decode()})
        assert registered.status_code == 201, registered.text
    if tender_id is not None:
        assert (await client.post(f"/api/tenders/{tender_id}/obtained", headers=headers)).status_code == 201
    return Bidder(user, headers, keys)


def sealed(bidder: Bidder, tender_id: int, lot: int, version: int, *, price: str = "780000.00", content: bytes = b"technical offer",
           segment_size: int = 4096) -> tuple[bytes, str]:
    """(envelope bytes, base64 signature) of a bid sealed to the bidder's own key."""
    sealed = envelope.seal(
        envelope.Binding(tender_id, lot, bidder.user.organisation_id, version),
        {"price": price, "currency": "CNY", "duration_days": 180},
        [envelope.PayloadFile.from_bytes("技术标.pdf", content)],
        [bidder.keys.x25519.public_key()],
        signer=bidder.keys.ed25519,
        segment_size=segment_size,
    )
    data = b"".join(sealed)
    return data, base64.b64encode(sealed.signature).decode()


async def submit(client, bidder: Bidder, tender_id: int, lot: int, data: bytes, signature: str, *, version: int = 1,
                 part_size: int | None = None):
    """Start, send in parts, complete; returns the completion response."""
    started = await client.post(f"/api/tenders/{tender_id}/lots/{lot}/bid-uploads", headers=bidder.headers,
                                json={"bid_version": version, "size": len(data)})
    assert started.status_code == 201, started.text
    upload_id = started.json()["id"]
    size = part_size or len(data)
    for number, offset in enumerate(range(0, len(data), size), start=1):
        sent = await client.put(f"/api/bid-uploads/{upload_id}/parts/{number}", headers=bidder.headers, content=data[offset:offset + size])
        assert sent.status_code == 200, sent.text
    return await client.post(f"/api/bid-uploads/{upload_id}/complete", headers=bidder.headers, json={"signature": signature})


def server_copy(platform, tmp_path: Path) -> Path:
    """Everything the server side holds: its data directory (object store, keys) and the database."""
    copy = tmp_path / "server-copy"
    shutil.copytree(platform.settings.data_dir, copy)
    database = platform.settings.resolved_database_url
    if database.startswith("sqlite"):
        path = Path(database.split("///", 1)[1])
        for file in path.parent.glob(path.name + "*"):  # with its WAL
            shutil.copy(file, copy / file.name)
    else:
        url = database.replace("postgresql+asyncpg://", "postgresql://")
        (copy / "database.sql").write_bytes(subprocess.run(["pg_dump", url], capture_output=True, check=True).stdout)
    return copy
