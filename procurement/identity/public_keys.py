"""Public keys users register for sealed bids: X25519 to receive, Ed25519 to sign.

Only public halves ever arrive here; the private keys stay on the bidder's machine.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import Conflict, InvalidInput, NotFound
from procurement.identity import schemas
from procurement.identity.models import UserPublicKey
from procurement.platform import Platform


def _parse_public_key(algorithm: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise InvalidInput.for_field("body.public_key", "is not valid base64") from exc
    if len(raw) != 32:
        raise InvalidInput.for_field(
            "body.public_key", "an %(algorithm)s public key has 32 bytes, this one has %(length)s", algorithm=algorithm, length=len(raw)
        )
    try:
        (X25519PublicKey if algorithm == "x25519" else Ed25519PublicKey).from_public_bytes(raw)
    except ValueError as exc:
        raise InvalidInput.for_field("body.public_key", "is not a valid %(algorithm)s public key", algorithm=algorithm) from exc
    return raw


async def register_public_key(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.PublicKeyCreate) -> UserPublicKey:
    raw = _parse_public_key(data.algorithm, data.public_key)
    fingerprint = hashlib.sha256(raw).hexdigest()
    if (await session.execute(select(UserPublicKey.id).where(UserPublicKey.fingerprint == fingerprint))).first():
        raise Conflict("this public key is already registered")
    key = UserPublicKey(
        user_id=actor.user_id,
        algorithm=data.algorithm,
        public_key=base64.b64encode(raw).decode(),
        fingerprint=fingerprint,
        label=data.label,
        created_at=platform.clock.now(),
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "identity.public_key_registered", subject_type="user_public_key", subject_id=key.id,
        details={"algorithm": key.algorithm, "fingerprint": fingerprint},
    )
    return key


async def list_public_keys(session: AsyncSession, actor: Actor) -> list[UserPublicKey]:
    return list(
        (await session.execute(select(UserPublicKey).where(UserPublicKey.user_id == actor.user_id).order_by(UserPublicKey.id))).scalars()
    )


async def revoke_public_key(session: AsyncSession, platform: Platform, actor: Actor, key_id: int) -> UserPublicKey:
    key = await session.get(UserPublicKey, key_id)
    if key is None or key.user_id != actor.user_id:
        raise NotFound("you have no public key %(key_id)s", key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = platform.clock.now()
        await session.flush()
        await audit.record(
            session, platform.clock, actor, "identity.public_key_revoked", subject_type="user_public_key", subject_id=key.id,
            details={"fingerprint": key.fingerprint},
        )
    return key


