"""What the sealed-bid benchmarks share: a tender open for bids, bidders with keys, envelopes.

The server's clock is the system clock, so a tender must be open for bids *now*, and the
legal minimum puts its deadline at least 20 days after its documents are first offered.
The preparation therefore runs in this process, on the same data directory, with a
``FrozenClock`` set back 26 days before the deadline wanted, through the same service calls
a user's actions go through (as ``procurement demo`` does for its past): organisations and
users, a draft with its documents, submission, review, publication, then each bidder
registers its keys and obtains the documents. Bearer sessions are made last, at the real
present, so they are valid while the server runs. The audit log reads forward in time.

Password hashing in the preparation uses a cheap Argon2 setting (hundreds of users would
otherwise take minutes); the server never checks those passwords, it only sees sessions.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bidding import envelope
from procurement.clock import DISPLAY_ZONE, FrozenClock
from procurement.identity import public_keys, schemas, service, sessions
from procurement.identity.models import OrganisationKind, Role, User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.settings import Settings
from procurement.tenders import documents
from procurement.tenders import service as tenders
from procurement.tenders.schemas import (
    LotIn,
    PublishIn,
    ReviewIn,
    TenderDraft,
    TimelineIn,
)

LOT = 1
PIECE = 1024 * 1024  # how envelope files are read and written


@dataclass
class BidderSetup:
    user_id: int
    organisation_id: int
    username: str
    keys: envelope.BidderKeys
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Prepared:
    tender_id: int
    deadline: datetime
    bidders: list[BidderSetup]
    operator_user_id: int


def prep_settings(env: dict[str, str]) -> Settings:
    """The server's settings, with cheap password hashing for the users made here."""
    return replace(Settings.from_env(env), argon2_memory_kib=1024, argon2_iterations=1, argon2_lanes=1)


def now() -> datetime:
    return datetime.now(UTC)


async def actor_of(session, user_id: int):  # type: ignore[no-untyped-def]
    user = await session.get(User, user_id)
    return await sessions.actor_for(session, user, via="bearer", session_id=None)


async def prepare(platform: Platform, clock: FrozenClock, *, bidders: int, deadline: datetime, sessions_now: bool = True,
                  keys: list[envelope.BidderKeys] | None = None) -> Prepared:
    """A published one-lot tender due at ``deadline`` and ``bidders`` suppliers ready to bid on it.

    ``clock`` is ``platform.clock``; it is set back here and left at the moment the bidders
    obtained the documents (or at the present, with ``sessions_now``). ``keys``: the bidders'
    keys, to prepare a second data directory for envelopes sealed for the first.
    """
    documents_from = deadline - timedelta(days=25)
    clock.set(documents_from - timedelta(hours=1))
    password = secrets.token_urlsafe(16)
    async with platform.db.transaction() as session:
        made: dict[str, int] = {}
        for uscc17, name, kind, username, role in (
            ("12460100MB0000001", "海口市公共资源交易中心", OrganisationKind.operator, "operator", Role.operator),
            ("12460100MB0000003", "海口市人民医院", OrganisationKind.purchaser, "purchaser", Role.purchaser),
        ):
            org = await service.system_create_organisation(
                session, platform, schemas.OrganisationCreate(uscc=make_uscc(uscc17), name=name, kind=kind, region="460100"), via="benchmark"
            )
            user = await service.system_create_user(
                session, platform, org, schemas.UserCreate(username=username, display_name=username, password=password, roles=[role]), via="benchmark"
            )
            made[username] = user.id  # type: ignore[assignment]
        ready: list[BidderSetup] = []
        for n in range(bidders):
            org = await service.system_create_organisation(
                session, platform,
                schemas.OrganisationCreate(uscc=make_uscc(f"91460100MA{n:07d}"), name=f"投标人{n:04d}有限公司", kind=OrganisationKind.supplier,
                                           region="460100"),
                via="benchmark",
            )
            user = await service.system_create_user(
                session, platform, org,
                schemas.UserCreate(username=f"bidder{n:04d}", display_name=f"投标人{n:04d}", password=password, roles=[Role.supplier]),
                via="benchmark",
            )
            ready.append(BidderSetup(user.id, org.id, user.username, keys[n] if keys else envelope.BidderKeys.generate("bench")))  # type: ignore[arg-type]
    async with platform.db.transaction() as session:
        owner = await actor_of(session, made["purchaser"])
        draft = TenderDraft(
            title="基准测试设备采购项目", track="government", category="goods", method="open", region="460106", budget=Decimal("1000000.00"),
            lots=[LotIn(title="全部内容", budget=Decimal("1000000.00"), bid_security=Decimal("0.00"))],
            timeline=TimelineIn(documents_from=documents_from.astimezone(DISPLAY_ZONE), documents_until=(documents_from + timedelta(days=10)).astimezone(DISPLAY_ZONE),
                                bid_deadline=deadline.astimezone(DISPLAY_ZONE), opening_place="online"),
            contact_name="王工", contact_phone="0898-66668888", qualifications="具有独立承担民事责任的能力。",
        )
        tender, _ = await tenders.create_draft(session, platform, owner, draft, "benchmark")
        tender_id: int = tender.id  # type: ignore[assignment]
    await documents.upload(
        platform, owner,
        documents.UploadRequest(tender_id=tender_id, content_type="application/pdf", name="招标文件.pdf", kind=documents.DocumentKind.tender_documents),
        _one(b"%PDF-1.7 benchmark tender documents"),
    )
    async with platform.db.transaction() as session:
        owner = await actor_of(session, made["purchaser"])
        operator = await actor_of(session, made["operator"])
        await tenders.submit(session, platform, owner, tender_id)
        checklist = {item: True for item in tenders.CHECKLISTS["open"]}
        await tenders.review(session, platform, operator, tender_id, ReviewIn(decision="accepted", checklist=checklist))  # type: ignore[arg-type]
        await tenders.publish(session, platform, owner, tender_id, PublishIn())  # type: ignore[arg-type]
    clock.set(documents_from + timedelta(minutes=1))
    for start in range(0, bidders, 50):
        async with platform.db.transaction() as session:
            for who in ready[start:start + 50]:
                actor = await actor_of(session, who.user_id)
                for algorithm, raw in (("x25519", who.keys.x25519_public), ("ed25519", who.keys.ed25519_public)):
                    await public_keys.register_public_key(
                        session, platform, actor, schemas.PublicKeyCreate(algorithm=algorithm, public_key=base64.b64encode(raw).decode())
                    )
                await documents.obtain(session, platform, actor, tender_id)
    if sessions_now:
        clock.set(max(clock.now(), now()))
        await make_sessions(platform, ready, password)
    return Prepared(tender_id, deadline, ready, made["operator"])


async def make_sessions(platform: Platform, bidders: list[BidderSetup], password: str) -> None:
    """Real logins (bearer sessions), at the platform clock's present."""
    for start in range(0, len(bidders), 50):
        async with platform.db.transaction() as session:
            for who in bidders[start:start + 50]:
                result = await sessions.login(session, platform, schemas.LoginRequest(username=who.username, password=password), kind="bearer")
                who.token = result.token


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


# --- Envelopes ------------------------------------------------------------------------------------


def seal_small(who: BidderSetup, tender_id: int, version: int, *, content: bytes, price: str = "980000.00") -> tuple[bytes, str]:
    """(envelope bytes, base64 signature) for a bid sealed in memory."""
    sealed = envelope.seal(
        envelope.Binding(tender_id, LOT, who.organisation_id, version), {"price": price, "currency": "CNY", "duration_days": 90},
        [envelope.PayloadFile.from_bytes("技术标.pdf", content)], [who.keys.x25519.public_key()], signer=who.keys.ed25519,
    )
    data = b"".join(sealed)
    return data, base64.b64encode(sealed.signature).decode()  # type: ignore[arg-type]


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        left = size
        while left:
            piece = os.urandom(min(8 * PIECE, left))
            out.write(piece)
            left -= len(piece)
    return path


def seal_file(who: BidderSetup, tender_id: int, version: int, content: Path, out: Path) -> str:
    """Seal ``content`` streaming into ``out``; the base64 signature."""
    sealed = envelope.seal(
        envelope.Binding(tender_id, LOT, who.organisation_id, version), {"price": "980000.00", "currency": "CNY"},
        [envelope.PayloadFile.from_path(content, "技术标.bin")], [who.keys.x25519.public_key()], signer=who.keys.ed25519,
    )
    with out.open("wb") as handle:
        for chunk in sealed:
            handle.write(chunk)
    return base64.b64encode(sealed.signature).decode()  # type: ignore[arg-type]


def file_pieces(path: Path, offset: int, size: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(offset)
        left = size
        while left:
            piece = handle.read(min(PIECE, left))
            if not piece:
                raise OSError(f"{path} ended early")
            left -= len(piece)
            yield piece


def content_key(who: BidderSetup, header_bytes: bytes) -> bytes:
    """What the bidder does on its own machine at the opening: unwrap its content key."""
    return envelope.unwrap_content_key(envelope.read_header([header_bytes]), who.keys.x25519)
