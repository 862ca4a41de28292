"""Key derivation, wrapping the content key to recipients, and the key commitment.

Only what WebCrypto offers: X25519 ``deriveBits``, HKDF-SHA256 ``deriveBits`` and AES-256-GCM.
Every HKDF ``info`` starts with ``LABEL`` so no derived value can stand in for another.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bidding.envelope.errors import ContentKeyMismatch, KeyUnwrapFailed, NotARecipient
from bidding.envelope.format import (
    KEY_SIZE,
    NONCE_PREFIX_SIZE,
    EnvelopeHeader,
    RecipientEntry,
)

LABEL = b"procurement-bid-envelope/v1 "
WRAP_INFO = LABEL + b"wrap"
COMMIT_INFO = LABEL + b"key commitment"
PAYLOAD_KEY_INFO = LABEL + b"payload key"
NONCE_PREFIX_INFO = LABEL + b"nonce prefix"
WRAP_NONCE = bytes(12)  # each wrap key is used once: it comes from a fresh ephemeral key

Rng = Callable[[int], bytes]


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def recipient_key_id(key: X25519PublicKey | bytes) -> bytes:
    """SHA-256 of the raw public key: the fingerprint the platform stores when a key is registered."""
    return hashlib.sha256(key if isinstance(key, bytes) else raw_public(key)).digest()


def key_commitment(content_key: bytes, payload_salt: bytes) -> bytes:
    return hkdf(content_key, payload_salt, COMMIT_INFO, 32)


def payload_key_and_nonce_prefix(content_key: bytes, payload_salt: bytes) -> tuple[bytes, bytes]:
    return hkdf(content_key, payload_salt, PAYLOAD_KEY_INFO, KEY_SIZE), hkdf(content_key, payload_salt, NONCE_PREFIX_INFO, NONCE_PREFIX_SIZE)


def check_content_key(header: EnvelopeHeader, content_key: bytes) -> bool:
    """Whether a released key is the one the sealer committed to, checked before any decryption."""
    return len(content_key) == KEY_SIZE and hmac.compare_digest(key_commitment(content_key, header.payload_salt), header.key_commitment)


def _wrap_key(shared: bytes, fixed_header: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    # The salt binds the wrap to this envelope's binding, sizes, salt and commitment; the info
    # binds it to both public keys, so an entry cannot be moved to another envelope or recipient.
    return hkdf(shared, hashlib.sha256(fixed_header).digest(), WRAP_INFO + ephemeral + recipient, KEY_SIZE)


def wrap_content_key(content_key: bytes, fixed_header: bytes, recipient: X25519PublicKey, rng: Rng) -> RecipientEntry:
    ephemeral = X25519PrivateKey.from_private_bytes(rng(32))
    ephemeral_public = raw_public(ephemeral.public_key())
    recipient_raw = raw_public(recipient)
    key = _wrap_key(ephemeral.exchange(recipient), fixed_header, ephemeral_public, recipient_raw)
    wrapped = AESGCM(key).encrypt(WRAP_NONCE, content_key, None)
    return RecipientEntry(recipient_key_id(recipient_raw), ephemeral_public, wrapped)


def unwrap_content_key(header: EnvelopeHeader, private_key: X25519PrivateKey) -> bytes:
    """The content key from this recipient's entry, checked against the commitment."""
    recipient_raw = raw_public(private_key.public_key())
    key_id = recipient_key_id(recipient_raw)
    for index, entry in enumerate(header.recipients):
        if entry.key_id == key_id:
            break
    else:
        raise NotARecipient(f"the envelope is not sealed to the X25519 key {key_id.hex()[:16]}…", field="header.recipients")
    field = f"header.recipients[{index}]"
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(entry.ephemeral_public_key))
        key = _wrap_key(shared, header.fixed_bytes(), entry.ephemeral_public_key, recipient_raw)
        content_key = AESGCM(key).decrypt(WRAP_NONCE, entry.wrapped_key, None)
    except (InvalidTag, ValueError) as exc:  # ValueError: a low-order ephemeral key (all-zero secret)
        raise KeyUnwrapFailed(f"recipient entry {index} does not decrypt with this key: the header was altered", field=field) from exc
    if not check_content_key(header, content_key):
        raise ContentKeyMismatch(f"recipient entry {index} wraps a key that does not match the key commitment", field=field)
    return content_key
