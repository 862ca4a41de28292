"""The tender's opening key: split k-of-n among custodians, the fallback when a bidder cannot release.

At set-up (the tender accepted, not yet published, so every bid can be sealed to it) the
organisation running the tender names custodians and a threshold k. The platform makes an
X25519 key pair in memory, splits the private key with Shamir's scheme (``bidding.shamir``),
wraps each share to its custodian's registered X25519 key (``docs/envelope.md``, "Opening-key
shares"), stores the public key, the wrapped shares and a commitment to each share, and wipes
the private key. After the bid deadline each custodian unwraps its share on its own machine
(``unwrap_share``) and sends it; the commitment refuses a wrong share at once. With k shares
in, the key is rebuilt in memory, checked against the public key, and at the opening's close
opens the bids their bidders did not release. The rebuilt key is never stored.

Decisions:
- A tender with an opening key allows the fallback: setting one is the tender's rule, made
  before publication and shown to every bidder (``GET …/opening-key``), who must seal to it.
- Collusion guard: custodians come from at least two organisations, and no one organisation
  holds k shares (it could otherwise open every bid alone). No supplier user can be a
  custodian: a bidder must not hold part of the key to its rivals' bids.
- k ≥ 2 (see ``bidding.shamir``); n ≤ 255. The key cannot be replaced once set.
- Erasure: the private key is drawn straight into a ``bytearray`` from the kernel
  (``os.urandom`` would return an immutable copy we could not wipe), given to
  ``cryptography`` as that buffer (OpenSSL keeps its own copy and clears it when the key object
  is freed), split byte by byte (each byte a Python small int, interned, not a copy), and
  the buffer overwritten with zeros in a ``finally``. Python cannot promise more: the
  allocator, swap or a core dump may hold copies we never see; nothing we create keeps one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections import Counter
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import envelope, shamir
from bidding.envelope.keys import hkdf, raw_public, recipient_key_id
from bidding.models import Bid, BidUploadPart
from bidding.opening_key_models import OpeningKeyShare, TenderOpeningKey
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import as_utc
from procurement.errors import Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import (
    Organisation,
    OrganisationKind,
    User,
    UserPublicKey,
)
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.models import Tender, TenderStatus

LABEL = b"procurement-opening-key/v1 "
WRAP_INFO = LABEL + b"share wrap"
COMMITMENT_CONTEXT = LABEL + b"share commitment"
WRAP_NONCE = bytes(12)  # each wrap key encrypts one share: it comes from a fresh ephemeral key
KEY_SIZE = 32
WRAPPED_SIZE = 32 + KEY_SIZE + 16  # ephemeral public key ‖ ciphertext ‖ tag
MAX_HEADER = 115 + 112 * 16  # docs/envelope.md §3: the largest envelope header


# --- The wrap (pure): used by the platform at creation and by custodians to unwrap ----------------


class ShareUnwrapFailed(ValueError):
    """The wrapped share does not open with this key and binding."""


@dataclass(frozen=True)
class ShareBinding:
    """What a wrapped share is bound to: its tender, its custodian's key and its x coordinate."""

    tender_id: int
    custodian_fingerprint: bytes  # SHA-256 of the custodian's raw X25519 public key
    x: int

    def to_bytes(self) -> bytes:
        # u64 tender ‖ 32-byte fingerprint ‖ u8 x: fixed widths, no separators needed.
        return self.tender_id.to_bytes(8, "big") + self.custodian_fingerprint + bytes([self.x])


def _wrap_key(shared: bytes, binding: ShareBinding, ephemeral: bytes, custodian: bytes) -> bytes:
    if not any(shared):
        raise ShareUnwrapFailed("the ephemeral key is of low order (all-zero shared secret)")
    return hkdf(shared, hashlib.sha256(binding.to_bytes()).digest(), WRAP_INFO + ephemeral + custodian, KEY_SIZE)


def wrap_share(share: bytes, custodian: X25519PublicKey, binding: ShareBinding, *, rng: shamir.Rng = os.urandom) -> bytes:
    """ephemeral public (32) ‖ AES-256-GCM(share, aad = binding) (48), to the custodian's key."""
    custodian_raw = raw_public(custodian)
    if recipient_key_id(custodian_raw) != binding.custodian_fingerprint:
        raise ValueError("the binding names another custodian key")
    ephemeral = X25519PrivateKey.from_private_bytes(rng(32))
    ephemeral_public = raw_public(ephemeral.public_key())
    key = _wrap_key(ephemeral.exchange(custodian), binding, ephemeral_public, custodian_raw)
    return ephemeral_public + AESGCM(key).encrypt(WRAP_NONCE, share, binding.to_bytes())


def unwrap_share(wrapped: bytes, x25519_private_key: X25519PrivateKey, binding: ShareBinding) -> bytes:
    """The custodian's side: its share, from the wrapped share and its own private key."""
    if len(wrapped) != WRAPPED_SIZE:
        raise ShareUnwrapFailed(f"a wrapped share has {WRAPPED_SIZE} bytes, this one has {len(wrapped)}")
    custodian_raw = raw_public(x25519_private_key.public_key())
    if recipient_key_id(custodian_raw) != binding.custodian_fingerprint:
        raise ShareUnwrapFailed("this share is wrapped to another X25519 key")
    ephemeral_public = wrapped[:32]
    try:
        shared = x25519_private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _wrap_key(shared, binding, ephemeral_public, custodian_raw)
        return AESGCM(key).decrypt(WRAP_NONCE, wrapped[32:], binding.to_bytes())
    except (InvalidTag, ValueError) as exc:
        raise ShareUnwrapFailed("the wrapped share does not decrypt with this key and binding") from exc


def share_commitment(tender_id: int, x: int, share: bytes) -> str:
    """Hex SHA-256 over the tender, x and share: checks a released share without the others.

    Safe to publish: a share of a k ≥ 2 split is 32 uniformly random bytes, too many to guess."""
    return hashlib.sha256(COMMITMENT_CONTEXT + tender_id.to_bytes(8, "big") + bytes([x]) + share).hexdigest()


def binding_of(share: OpeningKeyShare) -> ShareBinding:
    return ShareBinding(share.tender_id, bytes.fromhex(share.custodian_fingerprint), share.x)


def _random_into(buffer: bytearray) -> None:
    """Fill in place from the kernel, so that no immutable copy of the secret is ever made."""
    view = memoryview(buffer)
    with open("/dev/urandom", "rb", buffering=0) as source:
        filled = 0
        while filled < len(buffer):
            filled += source.readinto(view[filled:]) or 0


def _wipe(buffer: bytearray) -> None:
    for index in range(len(buffer)):
        buffer[index] = 0


# --- Creation ---------------------------------------------------------------------------------------


async def _newest_x25519(session: AsyncSession, user_id: int) -> UserPublicKey | None:
    query = (select(UserPublicKey).where(UserPublicKey.user_id == user_id, UserPublicKey.algorithm == "x25519",
                                         UserPublicKey.revoked_at.is_(None)).order_by(UserPublicKey.id.desc()).limit(1))  # type: ignore[attr-defined]
    return (await session.execute(query)).scalar_one_or_none()


async def _custodians(session: AsyncSession, user_ids: list[int], threshold: int) -> list[tuple[User, UserPublicKey]]:
    n = len(user_ids)
    if not 2 <= n <= shamir.MAX_SHARES:
        raise InvalidInput.for_field("body.custodians", "name from 2 to %(max)s custodians", max=shamir.MAX_SHARES)
    if len(set(user_ids)) != n:
        raise InvalidInput.for_field("body.custodians", "names the same user more than once; each custodian holds one share")
    if not 2 <= threshold <= n:
        raise InvalidInput.for_field("body.threshold", "the threshold k must be at least 2 and at most the number of custodians (%(n)s)", n=n)
    rows = await session.execute(select(User, Organisation.kind).join(Organisation, Organisation.id == User.organisation_id)
                                 .where(User.id.in_(user_ids)))  # type: ignore[attr-defined]
    found = {user.id: (user, kind) for user, kind in rows}
    chosen: list[tuple[User, UserPublicKey]] = []
    for index, user_id in enumerate(user_ids):
        field = f"body.custodians[{index}]"
        if user_id not in found or not found[user_id][0].active:
            raise InvalidInput.for_field(field, "user %(id)s does not exist or is not active", id=user_id)
        user, kind = found[user_id]
        if kind == OrganisationKind.supplier:
            raise InvalidInput.for_field(field, "user %(id)s belongs to a supplier; a bidder must not hold a share of the key to its rivals' bids",
                                         id=user_id)
        key = await _newest_x25519(session, user_id)
        if key is None:
            raise InvalidInput.for_field(field, "user %(id)s has no active X25519 key (POST /api/me/keys): the share is wrapped to it",
                                         id=user_id)
        chosen.append((user, key))
    held = Counter(user.organisation_id for user, _ in chosen)
    if len(held) < 2:
        raise InvalidInput.for_field("body.custodians", "custodians must come from at least two organisations, so that no one organisation can open the bids")
    most = max(held.values())
    if most >= threshold:
        raise InvalidInput.for_field(
            "body.custodians", "one organisation would hold %(held)s shares, enough to rebuild the key alone with threshold %(k)s; "
            "name custodians from more organisations or raise the threshold", held=most, k=threshold,
        )
    return chosen


async def create(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, custodian_ids: list[int], threshold: int) -> TenderOpeningKey:
    tender = await tenders.get_tender(session, actor, tender_id, for_update=True)
    if not tenders.can_change(actor, tender):
        raise Forbidden("only the organisation that runs this tender names its custodians")
    if tender.status != TenderStatus.accepted:
        raise Conflict("the opening key is set after the entry review accepts the tender and before it is published, so that every bid "
                       "is sealed to it; this tender is %(state)s", state=tender.status)
    if await session.get(TenderOpeningKey, tender_id) is not None:
        raise Conflict("this tender already has an opening key; it cannot be replaced")
    chosen = await _custodians(session, custodian_ids, threshold)
    secret = bytearray(KEY_SIZE)
    try:
        _random_into(secret)
        public_raw = raw_public(X25519PrivateKey.from_private_bytes(secret).public_key())
        shares = shamir.split(secret, len(chosen), threshold)
    finally:
        _wipe(secret)
    now = platform.clock.now()
    key = TenderOpeningKey(tender_id=tender_id, public_key=base64.b64encode(public_raw).decode(), fingerprint=recipient_key_id(public_raw).hex(),
                           threshold=threshold, custodian_count=len(chosen), created_by=actor.user_id, created_at=now)
    session.add(key)
    rows = []
    for (user, custodian_key), share in zip(chosen, shares, strict=True):
        binding = ShareBinding(tender_id, bytes.fromhex(custodian_key.fingerprint), share.x)
        wrapped = wrap_share(share.y, X25519PublicKey.from_public_bytes(base64.b64decode(custodian_key.public_key)), binding)
        rows.append(OpeningKeyShare(
            tender_id=tender_id, custodian_user_id=user.id, custodian_key_id=custodian_key.id, custodian_fingerprint=custodian_key.fingerprint,  # type: ignore[arg-type]
            x=share.x, wrapped_share=base64.b64encode(wrapped).decode(), commitment=share_commitment(tender_id, share.x, share.y),
        ))
    del shares
    session.add_all(rows)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "opening_key.created", subject_type="tender", subject_id=tender_id,
        details={"public_key": key.public_key, "fingerprint": key.fingerprint, "threshold": threshold, "custodians": [
            {"user_id": row.custodian_user_id, "organisation_id": user.organisation_id, "x": row.x, "key_fingerprint": row.custodian_fingerprint,
             "commitment": row.commitment} for row, (user, _) in zip(rows, chosen, strict=True)]},
    )
    return key


# --- Reading ----------------------------------------------------------------------------------------


async def opening_key_of(session: AsyncSession, tender_id: int) -> TenderOpeningKey | None:
    return await session.get(TenderOpeningKey, tender_id)


async def public_view(session: AsyncSession, actor: Actor | None, tender_id: int) -> tuple[TenderOpeningKey, list[dict[str, object]]]:
    """The public key bidders seal to, and who holds the shares (names published, shares never)."""
    await tenders.get_tender(session, actor, tender_id)
    key = await opening_key_of(session, tender_id)
    if key is None:
        raise NotFound("tender %(id)s has no opening key", id=tender_id)
    rows = await session.execute(
        select(OpeningKeyShare.x, OpeningKeyShare.released_at, User.display_name, Organisation.name)
        .join(User, User.id == OpeningKeyShare.custodian_user_id).join(Organisation, Organisation.id == User.organisation_id)
        .where(OpeningKeyShare.tender_id == tender_id).order_by(OpeningKeyShare.x)
    )
    return key, [{"x": x, "name": name, "organisation": organisation, "released": released_at is not None}
                 for x, released_at, name, organisation in rows]


async def my_share(session: AsyncSession, actor: Actor, tender_id: int, *, lock: bool = False) -> OpeningKeyShare:
    query = select(OpeningKeyShare).where(OpeningKeyShare.tender_id == tender_id, OpeningKeyShare.custodian_user_id == actor.user_id)
    share = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if share is None:
        raise NotFound("you hold no share of the opening key of tender %(id)s", id=tender_id)
    return share


# --- Release and rebuild ------------------------------------------------------------------------------


def _share_bytes(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput.for_field("body.share", "is not valid base64") from exc
    if len(raw) != KEY_SIZE:
        raise InvalidInput.for_field("body.share", "a share has 32 bytes, this one has %(length)s", length=len(raw))
    return raw


async def _released(session: AsyncSession, tender_id: int) -> list[OpeningKeyShare]:
    query = select(OpeningKeyShare).where(OpeningKeyShare.tender_id == tender_id, OpeningKeyShare.released_at.is_not(None))  # type: ignore[union-attr]
    return list((await session.execute(query.order_by(OpeningKeyShare.x))).scalars())


def _rebuild(key: TenderOpeningKey, released: list[OpeningKeyShare]) -> X25519PrivateKey | None:
    """The private key from k released shares, in memory only; None if it is not the published key."""
    if len(released) < key.threshold:
        return None
    shares = [shamir.Share(row.x, base64.b64decode(row.released_share or "")) for row in released[: key.threshold]]
    secret = bytearray(KEY_SIZE)
    try:
        shamir.combine_into(shares, secret)
        private = X25519PrivateKey.from_private_bytes(secret)
    finally:
        _wipe(secret)
    if not hmac.compare_digest(raw_public(private.public_key()), base64.b64decode(key.public_key)):
        return None
    return private


async def release_share(session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, share_b64: str) -> OpeningKeyShare:
    """A custodian sends its unwrapped share, after the deadline; the k-th rebuilds (and checks) the key."""
    raw = _share_bytes(share_b64)
    key = await session.get(TenderOpeningKey, tender_id, with_for_update=True)
    tender = await session.get(Tender, tender_id)
    if key is None or tender is None:
        raise NotFound("tender %(id)s has no opening key", id=tender_id)
    try:
        row = await my_share(session, actor, tender_id, lock=True)
    except NotFound as exc:
        raise Forbidden("only the custodians named for this tender's opening key release shares") from exc
    now = platform.clock.now()
    if now <= as_utc(tender.bid_deadline):
        raise Conflict("shares are released only after the bid deadline (%(deadline)s): before it no key that opens a bid may exist",
                       deadline=as_utc(tender.bid_deadline).isoformat())
    if row.released_at is not None:
        raise Conflict("you released your share already, at %(at)s", at=as_utc(row.released_at).isoformat())
    if not hmac.compare_digest(share_commitment(tender_id, row.x, raw), row.commitment):
        raise InvalidInput.for_field("body.share", "is not the share you were given: it does not match the commitment recorded when the key was made")
    row.released_share, row.released_at = base64.b64encode(raw).decode(), now
    await session.flush()
    await audit.record(session, platform.clock, actor, "opening_key.share_released", subject_type="tender", subject_id=tender_id,
                       details={"x": row.x, "commitment": row.commitment})
    if key.rebuilt_at is None:
        released = await _released(session, tender_id)
        if len(released) >= key.threshold:
            if _rebuild(key, released) is None:
                # Cannot happen with committed shares unless the stored rows were altered.
                raise Conflict("the released shares do not rebuild the published opening key; the stored shares were altered")
            key.rebuilt_at = now
            await session.flush()
            await audit.record(session, platform.clock, actor, "opening_key.rebuilt", subject_type="tender", subject_id=tender_id,
                               details={"fingerprint": key.fingerprint, "shares": [r.x for r in released[: key.threshold]]})
    return row


# --- The fallback at the opening's close ----------------------------------------------------------------


async def _header(platform: Platform, session: AsyncSession, bid: Bid) -> envelope.EnvelopeHeader:
    parts = (await session.execute(select(BidUploadPart.object_key).where(BidUploadPart.upload_id == bid.upload_id)
                                   .order_by(BidUploadPart.number))).scalars()
    head = bytearray()
    for object_key in parts:
        async for chunk in platform.store.get(object_key):
            head += chunk
            if len(head) >= MAX_HEADER:
                break
        if len(head) >= MAX_HEADER:
            break
    return envelope.read_header([bytes(head)])


async def fallback_content_key(session: AsyncSession, platform: Platform, bid: Bid) -> bytes | None:
    """The content key of a bid its bidder did not release, through the rebuilt opening key, or None.

    None when the tender has no opening key, the bid is not sealed to it, fewer than k shares
    are in, or the bid's entry for the opening key does not unwrap to its committed key."""
    key = await opening_key_of(session, bid.tender_id)
    if key is None or key.fingerprint not in json.loads(bid.recipient_key_ids):
        return None
    private = _rebuild(key, await _released(session, bid.tender_id))
    if private is None:
        return None
    try:
        return envelope.unwrap_content_key(await _header(platform, session, bid), private)
    except envelope.EnvelopeError:
        return None


async def required_recipient(session: AsyncSession, tender_id: int) -> str | None:
    """The fingerprint every envelope of this tender must be sealed to as well, if any."""
    key = await opening_key_of(session, tender_id)
    return key.fingerprint if key is not None else None
