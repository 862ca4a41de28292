"""Submitting sealed bids: start an upload, send its parts, complete it into a bid with a receipt.

Who may bid: a user with the supplier role, for its own organisation, which obtained the
tender's documents, has registered keys, and is not on the blacklist (checked, and the check
kept, at each completion). One current bid per organisation and lot: a new version
supersedes the last; a bid can be withdrawn. All of it before the deadline, by the
server's clock: a completion after it is refused, whenever the upload began.

Parts stream into the object store with no transaction open (a write transaction on SQLite
would block every other writer for as long as a slow link takes). Completion reads the
parts back through the envelope inspector: structure, binding, recipients and signature are
checked without any key that could open the bid.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass

import anyio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import envelope, opening_key
from bidding.models import Bid, BidStatus, BidUpload, BidUploadPart, UploadState
from bidding.receipts import RECEIPT_KIND, receipt_bytes
from bidding.stored import blocking_chunks
from procurement.actor import Actor
from procurement.audit import chain
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.credit import service as credit
from procurement.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from procurement.identity.models import (
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserPublicKey,
)
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.document_models import DocumentObtained
from procurement.tenders.models import Lot, Tender, TenderStatus

MAX_PARTS = 10_000


class TooLarge(DomainError):
    status = 413
    slug = "too-large"
    title = "Too large"


@dataclass(frozen=True)
class UploadStart:
    tender_id: int
    lot_number: int
    bid_version: int
    size: int


def embargo_key(tender_id: int) -> str:
    """The audit entries of a tender's bids are read by nobody until bidding closes: not even
    how many there are (released by the count at the deadline)."""
    return f"tender:{tender_id}:bids"


# --- Who may bid, on what ---------------------------------------------------------------------


def _supplier(actor: Actor) -> None:
    if not actor.has(Role.supplier) or actor.organisation_kind != OrganisationKind.supplier:
        raise Forbidden("bids are submitted by supplier users, for their own organisation")


def _before_deadline(platform: Platform, tender: Tender) -> None:
    if tender.status != TenderStatus.published:
        raise Conflict("bids are accepted while the tender is open for bids; this one is %(state)s", state=tender.status)
    if platform.clock.now() > as_utc(tender.bid_deadline):
        raise Conflict(
            "the bid deadline %(deadline)s has passed; a bid completed after it is not received (招标投标法 第二十八条)",
            deadline=as_utc(tender.bid_deadline).isoformat(),
        )


async def _open_tender(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, lot_number: int, *,
                       lock: bool = False) -> Tender:
    tender = await tenders.get_tender(session, actor, tender_id, for_update=lock)
    _before_deadline(platform, tender)
    lot = (await session.execute(select(Lot.id).where(Lot.tender_id == tender_id, Lot.number == lot_number))).first()
    if lot is None:
        raise NotFound("tender %(tender)s has no lot %(lot)s", tender=tender_id, lot=lot_number)
    obtained = (
        await session.execute(
            select(DocumentObtained.id).where(DocumentObtained.tender_id == tender_id, DocumentObtained.organisation_id == actor.organisation_id)
        )
    ).first()
    if obtained is None:
        raise Forbidden("obtain the tender documents (获取招标文件) before bidding: POST /api/tenders/%(tender)s/obtained", tender=tender_id)
    return tender


async def next_version(session: AsyncSession, tender_id: int, lot_number: int, organisation_id: int) -> int:
    latest = (
        await session.execute(
            select(func.max(Bid.version)).where(Bid.tender_id == tender_id, Bid.lot_number == lot_number, Bid.organisation_id == organisation_id)
        )
    ).scalar_one()
    return (latest or 0) + 1


async def _active_keys(session: AsyncSession, algorithm: str, *, user_id: int | None = None, organisation_id: int | None = None) -> list[UserPublicKey]:
    query = select(UserPublicKey).where(UserPublicKey.algorithm == algorithm, UserPublicKey.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(UserPublicKey.user_id == user_id)
    if organisation_id is not None:
        query = query.join(User, User.id == UserPublicKey.user_id).where(User.organisation_id == organisation_id)
    return list((await session.execute(query.order_by(UserPublicKey.id))).scalars())


# --- Uploads ------------------------------------------------------------------------------------


async def start_upload(session: AsyncSession, platform: Platform, actor: Actor, data: UploadStart, *, client_ip: str = "",
                       client_fingerprint: str = "") -> BidUpload:
    _supplier(actor)
    tender = await _open_tender(session, platform, actor, data.tender_id, data.lot_number)
    # The tender may set a lower limit than the platform's (its documents say so).
    limit = min(platform.settings.max_bid_bytes, (tender.max_bid_mib or 1 << 40) * 1024 * 1024)
    if not 1 <= data.size <= limit:
        raise TooLarge("a bid envelope may be at most %(limit)s bytes; this one is %(size)s", limit=limit, size=data.size)
    expected = await next_version(session, data.tender_id, data.lot_number, actor.organisation_id)  # type: ignore[arg-type]
    if data.bid_version != expected:
        raise InvalidInput.for_field(
            "body.bid_version", "this organisation's next bid for the lot is version %(expected)s; seal the envelope for it", expected=expected
        )
    if not await _active_keys(session, "ed25519", user_id=actor.user_id):
        raise Forbidden("register an Ed25519 signing key (POST /api/me/keys) before bidding: the bid must be signed")
    if not await _active_keys(session, "x25519", organisation_id=actor.organisation_id):
        raise Forbidden("register an X25519 key (POST /api/me/keys) before bidding: the bid is sealed to it")
    now = platform.clock.now()
    upload = BidUpload(
        id=secrets.token_hex(16), tender_id=data.tender_id, lot_number=data.lot_number, organisation_id=actor.organisation_id,  # type: ignore[arg-type]
        user_id=actor.user_id, bid_version=data.bid_version, declared_size=data.size, state=UploadState.open,
        created_at=now, updated_at=now, client_ip=client_ip[:64], client_fingerprint=client_fingerprint[:300],
    )
    session.add(upload)
    await session.flush()
    return upload


async def _own_upload(session: AsyncSession, actor: Actor, upload_id: str, *, lock: bool = False) -> BidUpload:
    upload = await session.get(BidUpload, upload_id, with_for_update=lock)
    # Another organisation's upload does not exist, as far as the caller can tell.
    if upload is None or upload.organisation_id != actor.organisation_id:
        raise NotFound("no bid upload %(id)s", id=upload_id)
    if upload.state != UploadState.open:
        raise Conflict("this upload is %(state)s; start a new one", state=upload.state)
    return upload


async def _parts(session: AsyncSession, upload_id: str) -> list[BidUploadPart]:
    query = select(BidUploadPart).where(BidUploadPart.upload_id == upload_id).order_by(BidUploadPart.number)
    return list((await session.execute(query)).scalars())


async def _at_most(chunks: AsyncIterable[bytes], limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise TooLarge("this part would make the envelope larger than the %(limit)s bytes announced", limit=limit)
        yield chunk


async def put_part(platform: Platform, actor: Actor, upload_id: str, number: int, chunks: AsyncIterable[bytes]) -> BidUploadPart:
    """Store one part (sending the same number again replaces it, e.g. after a broken link)."""
    _supplier(actor)
    if not 1 <= number <= MAX_PARTS:
        raise InvalidInput.for_field("path.number", "parts are numbered from 1 to %(max)s", max=MAX_PARTS)
    async with platform.db.transaction(write=False) as session:
        upload = await _own_upload(session, actor, upload_id)
        tender = await tenders.get_tender(session, actor, upload.tender_id)
        _before_deadline(platform, tender)
        others = sum(p.size for p in await _parts(session, upload_id) if p.number != number)
    key = f"bids/{upload.tender_id}/{upload_id}/{uuid.uuid4().hex}"
    info = await platform.store.put(key, _at_most(chunks, upload.declared_size - others), content_type="application/octet-stream")
    replaced: str | None = None
    try:
        if info.size == 0:
            raise InvalidInput.for_field("body", "the part is empty")
        async with platform.db.transaction() as session:
            upload = await _own_upload(session, actor, upload_id, lock=True)
            old = (
                await session.execute(select(BidUploadPart).where(BidUploadPart.upload_id == upload_id, BidUploadPart.number == number))
            ).scalar_one_or_none()
            if old is not None:
                replaced = old.object_key
                await session.delete(old)
                await session.flush()
            part = BidUploadPart(
                upload_id=upload_id, number=number, object_key=key, size=info.size, sha256=info.sha256, received_at=platform.clock.now()
            )
            session.add(part)
            upload.updated_at = platform.clock.now()
            await session.flush()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await platform.store.delete(key)
        raise
    if replaced is not None:
        await platform.store.delete(replaced)
    return part


# --- Completion: the upload becomes a bid ---------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    info: envelope.EnvelopeInfo
    sha256: str
    signing_key: UserPublicKey
    recipient_ids: list[str]


def _inspect(chunks: Iterator[bytes], declared_size: int) -> tuple[envelope.EnvelopeInfo, str]:
    """Structure and digest (the inspector) and the plain SHA-256 of the envelope, in one pass."""
    inspector = envelope.EnvelopeInspector(max_length=declared_size)
    plain = hashlib.sha256()
    for chunk in chunks:
        inspector.feed(chunk)
        plain.update(chunk)
    return inspector.finish(), plain.hexdigest()


async def _check_envelope(platform: Platform, actor: Actor, upload: BidUpload, parts: list[BidUploadPart], signature: bytes) -> Checked:
    """Structure, binding, recipients and the bidder's signature: no key that could open it is needed."""
    numbers = [p.number for p in parts]
    if numbers != list(range(1, len(parts) + 1)):
        raise InvalidInput.for_field("body", "parts %(missing)s are missing", missing=", ".join(
            str(n) for n in sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))) or "1")
    total = sum(p.size for p in parts)
    if total != upload.declared_size:
        raise InvalidInput.for_field("body", "%(received)s bytes arrived of the %(declared)s announced", received=total, declared=upload.declared_size)
    loop = asyncio.get_running_loop()
    try:
        # Hashing a large envelope twice is CPU work: a worker thread does it, not the event loop.
        info, sha256 = await asyncio.to_thread(_inspect, blocking_chunks(platform, [p.object_key for p in parts], loop), upload.declared_size)
    except envelope.EnvelopeError as exc:
        raise InvalidInput.for_field(f"envelope.{exc.field}" if exc.field else "envelope", "the envelope is not well formed: %(problem)s",
                                     problem=str(exc)) from exc
    expected = envelope.Binding(upload.tender_id, upload.lot_number, upload.organisation_id, upload.bid_version)
    if info.binding != expected:
        raise InvalidInput.for_field("envelope.header", "the envelope is sealed for %(sealed)s, not for this bid (%(expected)s)",
                                     sealed=_binding_text(info.binding), expected=_binding_text(expected))
    async with platform.db.transaction(write=False) as session:
        own_x25519 = {k.fingerprint for k in await _active_keys(session, "x25519", organisation_id=upload.organisation_id)}
        signers = await _active_keys(session, "ed25519", user_id=actor.user_id)
        opening_fingerprint = await opening_key.required_recipient(session, upload.tender_id)
    recipient_ids = [entry.key_id.hex() for entry in info.header.recipients]
    if not own_x25519.intersection(recipient_ids):
        raise InvalidInput.for_field("envelope.header.recipients", "the content key must be wrapped to one of your organisation's registered X25519 keys")
    if opening_fingerprint is not None and opening_fingerprint not in recipient_ids:
        raise InvalidInput.for_field("envelope.header.recipients", "this tender has an opening key (GET /api/tenders/%(tender)s/opening-key): "
                                     "the content key must also be wrapped to it (key id %(key_id)s)", tender=upload.tender_id, key_id=opening_fingerprint)
    for key in signers:
        try:
            envelope.verify_signature(info, expected, signature, Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)))
            return Checked(info, sha256, key, recipient_ids)
        except envelope.SignatureInvalid:
            continue
    raise InvalidInput.for_field("body.signature", "does not verify with any of your registered Ed25519 keys over this envelope")


def _binding_text(binding: envelope.Binding) -> str:
    return f"tender {binding.tender_id}, lot {binding.lot_number}, organisation {binding.organisation_id}, version {binding.bid_version}"


def _signature(signature_b64: str) -> bytes:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput.for_field("body.signature", "is not valid base64") from exc
    if len(raw) != 64:
        raise InvalidInput.for_field("body.signature", "an Ed25519 signature has 64 bytes, this one has %(length)s", length=len(raw))
    return raw


async def complete(platform: Platform, actor: Actor, upload_id: str, signature_b64: str) -> Bid:
    """Check the whole envelope, then record the bid, its audit entry and its signed receipt at once."""
    _supplier(actor)
    signature = _signature(signature_b64)
    async with platform.db.transaction(write=False) as session:
        upload = await _own_upload(session, actor, upload_id)
        parts = await _parts(session, upload_id)
        await _open_tender(session, platform, actor, upload.tender_id, upload.lot_number)
    checked = await _check_envelope(platform, actor, upload, parts, signature)
    # The credit check is kept whatever it finds, so it commits on its own (财库〔2016〕125号).
    result = await credit.check_kept(platform, "bid_submission", organisation_ids=[upload.organisation_id], subject_type="bid_upload", subject_id=upload_id)
    if not result.passed:
        raise credit.refusal(result)
    async with platform.db.transaction() as session:
        # The tender's row lock orders this against the deadline and other bids of the lot.
        tender = await _open_tender(session, platform, actor, upload.tender_id, upload.lot_number, lock=True)
        upload = await _own_upload(session, actor, upload_id, lock=True)
        return await _record_bid(session, platform, actor, tender, upload, checked, signature_b64)


async def _record_bid(
    session: AsyncSession, platform: Platform, actor: Actor, tender: Tender, upload: BidUpload, checked: Checked, signature_b64: str
) -> Bid:
    current = (
        await session.execute(
            select(Bid).where(Bid.tender_id == tender.id, Bid.lot_number == upload.lot_number, Bid.organisation_id == upload.organisation_id,
                              Bid.status == BidStatus.submitted)
        )
    ).scalar_one_or_none()
    if current is not None:
        current.status = BidStatus.superseded
    if upload.bid_version != await next_version(session, tender.id, upload.lot_number, upload.organisation_id):  # type: ignore[arg-type]
        raise Conflict("a later version of this bid was submitted meanwhile; seal the bid again for the next version")
    now = platform.clock.now()
    bid = Bid(
        tender_id=tender.id, lot_number=upload.lot_number, organisation_id=upload.organisation_id, version=upload.bid_version,  # type: ignore[arg-type]
        status=BidStatus.submitted, upload_id=upload.id, size=checked.info.length, sha256=checked.sha256,
        envelope_digest=checked.info.digest.hex(), signature=signature_b64, signing_key_id=checked.signing_key.id,  # type: ignore[arg-type]
        recipient_key_ids=json.dumps(checked.recipient_ids), submitted_by=actor.user_id, submitted_at=now, audit_seq=0,
        receipt="", receipt_signature="",
    )
    session.add(bid)
    upload.state = UploadState.completed
    upload.updated_at = now
    await session.flush()
    entry, path = await audit.record_with_proof(
        session, platform.clock, actor, "bid.submitted", subject_type="bid", subject_id=bid.id,
        details={
            "tender_id": tender.id, "lot": bid.lot_number, "version": bid.version, "size": bid.size,
            "envelope_sha256": bid.sha256, "envelope_digest": bid.envelope_digest,
            "superseded_bid": current.id if current is not None else None,
        },
        embargo=embargo_key(tender.id),  # type: ignore[arg-type]
    )
    checkpoint = await audit.sign_checkpoint(session, platform.clock, platform.keys)
    assert checkpoint is not None and checkpoint.tree_size == entry.seq, "the checkpoint must end with the bid's entry"
    organisation = await session.get(Organisation, bid.organisation_id)
    receipt = {
        "kind": RECEIPT_KIND,
        "bid": {
            "id": bid.id, "tender_id": tender.id, "tender_code": tender.code, "lot": bid.lot_number, "version": bid.version,
            "organisation_id": bid.organisation_id, "organisation_uscc": organisation.uscc if organisation else "",
            "size": bid.size, "envelope_sha256": bid.sha256, "envelope_digest": bid.envelope_digest,
            "bidder_signature": signature_b64, "received_at": chain.format_time(now),
        },
        "audit": {
            "entry": audit.entry_fields(entry) | {"recorded_at": chain.format_time(entry.recorded_at)},
            "inclusion_path": [node.hex() for node in path],
            "checkpoint": {
                "tree_size": checkpoint.tree_size, "root": base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode(),
                "signed_at": chain.format_time(checkpoint.signed_at), "signature": checkpoint.signature,
            },
        },
    }
    bid.audit_seq = entry.seq
    bid.receipt = chain.canonical_json(receipt)
    bid.receipt_signature = base64.b64encode(platform.keys.sign(receipt_bytes(receipt))).decode()
    await session.flush()
    return bid


# --- After submission ------------------------------------------------------------------------------


async def own_bid(session: AsyncSession, actor: Actor, bid_id: int, *, lock: bool = False) -> Bid:
    bid = await session.get(Bid, bid_id, with_for_update=lock)
    # Before the opening a bid exists only for its own organisation.
    if bid is None or bid.organisation_id != actor.organisation_id:
        raise NotFound("no bid %(id)s", id=bid_id)
    return bid


async def withdraw(session: AsyncSession, platform: Platform, actor: Actor, bid_id: int) -> Bid:
    _supplier(actor)
    bid = await own_bid(session, actor, bid_id)
    tender = await tenders.get_tender(session, actor, bid.tender_id, for_update=True)
    _before_deadline(platform, tender)
    bid = await own_bid(session, actor, bid_id, lock=True)
    if bid.status != BidStatus.submitted:
        raise Conflict("only the current bid can be withdrawn; this one is %(state)s", state=bid.status)
    bid.status = BidStatus.withdrawn
    bid.withdrawn_at = platform.clock.now()
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "bid.withdrawn", subject_type="bid", subject_id=bid.id,
        details={"tender_id": bid.tender_id, "lot": bid.lot_number, "version": bid.version}, embargo=embargo_key(bid.tender_id),
    )
    return bid


async def bids_of_organisation(session: AsyncSession, actor: Actor, tender_id: int) -> list[Bid]:
    _supplier(actor)
    await tenders.get_tender(session, actor, tender_id)
    query = select(Bid).where(Bid.tender_id == tender_id, Bid.organisation_id == actor.organisation_id).order_by(Bid.lot_number, Bid.version)
    return list((await session.execute(query)).scalars())


async def upload_of(session: AsyncSession, actor: Actor, upload_id: str) -> BidUpload:
    _supplier(actor)
    upload = await session.get(BidUpload, upload_id)
    if upload is None or upload.organisation_id != actor.organisation_id:
        raise NotFound("no bid upload %(id)s", id=upload_id)
    return upload


async def parts_of(session: AsyncSession, upload_id: str) -> list[BidUploadPart]:
    return await _parts(session, upload_id)


async def next_versions(session: AsyncSession, actor: Actor, tender_id: int) -> dict[int, int]:
    """Per lot of the tender: the version this organisation's next envelope must be sealed for."""
    lots = (await session.execute(select(Lot.number).where(Lot.tender_id == tender_id).order_by(Lot.number))).scalars()
    return {number: await next_version(session, tender_id, number, actor.organisation_id) for number in lots}  # type: ignore[arg-type]
