"""The bidder's Ed25519 signature over (binding, envelope digest), carried beside the envelope.

Alongside rather than inside: the digest is then that of the stored object exactly as
stored (what the receipt quotes), the signature can be checked or renewed without
touching the envelope, and the platform checks it while the
upload streams past with nothing but the bidder's registered public key.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from bidding.envelope.errors import SignatureInvalid
from bidding.envelope.format import Binding

SIGNATURE_CONTEXT = b"procurement-bid-envelope/v1 signature\x00"  # fixed length, then fixed-length fields


def signed_message(digest: bytes, binding: Binding) -> bytes:
    if len(digest) != 32:
        raise ValueError("an envelope digest is 32 bytes")
    return SIGNATURE_CONTEXT + binding.encode() + digest


def sign_envelope(digest: bytes, binding: Binding, signer: Ed25519PrivateKey) -> bytes:
    return signer.sign(signed_message(digest, binding))


def verify_envelope_signature(digest: bytes, binding: Binding, signature: bytes, public_key: Ed25519PublicKey) -> None:
    try:
        public_key.verify(signature, signed_message(digest, binding))
    except InvalidSignature as exc:
        raise SignatureInvalid("the bidder's signature does not verify for this envelope and binding", field="signature") from exc
