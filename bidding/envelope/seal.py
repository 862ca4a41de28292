"""Sealing: encrypt a bid for its recipients, one segment at a time, and sign its digest."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bidding.envelope import keys
from bidding.envelope.digest import ENVELOPE_CONTEXT, ChainDigest
from bidding.envelope.errors import MalformedEnvelope
from bidding.envelope.format import (
    DEFAULT_SEGMENT_SIZE,
    KEY_SIZE,
    MAX_RECIPIENTS,
    SALT_SIZE,
    Binding,
    EnvelopeHeader,
    check_payload_length,
    check_segment_size,
    encode_fixed_header,
    segment_nonce,
)
from bidding.envelope.payload import (
    PayloadFile,
    encode_manifest,
    payload_chunks,
    payload_length,
)
from bidding.envelope.signature import sign_envelope
from bidding.envelope.stream import ChunkReader


class SealedEnvelope:
    """The envelope as an iterable of chunks (one header, then one per segment).

    Iterate it once; afterwards ``digest``, ``length`` and (with a signer) ``signature``
    are set. ``header`` is known before the first chunk.
    """

    def __init__(self, header: EnvelopeHeader, chunks: Iterator[bytes], signer: Ed25519PrivateKey | None) -> None:
        self.header = header
        self._chunks = chunks
        self._signer = signer
        self._digest: bytes | None = None
        self.signature: bytes | None = None
        self.length = 0

    def __iter__(self) -> Iterator[bytes]:
        digest = ChainDigest(ENVELOPE_CONTEXT)
        for chunk in self._chunks:
            digest.update(chunk)
            self.length += len(chunk)
            yield chunk
        self._digest = digest.digest()
        if self._signer is not None:
            self.signature = sign_envelope(self._digest, self.header.binding, self._signer)

    @property
    def digest(self) -> bytes:
        if self._digest is None:
            raise RuntimeError("the digest is known once the envelope has been read to the end")
        return self._digest

    def to_bytes(self) -> bytes:
        """The whole envelope in memory: for small bids and tests."""
        return b"".join(self)


def seal(
    binding: Binding,
    fields: Mapping[str, Any],
    files: Sequence[PayloadFile],
    recipients: Sequence[X25519PublicKey],
    *,
    signer: Ed25519PrivateKey | None = None,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    rng: keys.Rng = os.urandom,
) -> SealedEnvelope:
    """Seals the opening fields (``price`` required) and the files to every recipient."""
    manifest = encode_manifest(fields, [f.entry for f in files])
    return seal_payload(
        binding, payload_chunks(manifest, files), payload_length(manifest, [f.entry for f in files]), recipients,
        signer=signer, segment_size=segment_size, rng=rng,
    )


def seal_payload(
    binding: Binding,
    plaintext: Iterable[bytes],
    length: int,
    recipients: Sequence[X25519PublicKey],
    *,
    signer: Ed25519PrivateKey | None = None,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    rng: keys.Rng = os.urandom,
) -> SealedEnvelope:
    """Seals any plaintext of a known length; ``seal`` builds the payload, tests craft bad ones."""
    check_segment_size(segment_size)
    check_payload_length(length, segment_size)
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise MalformedEnvelope(f"an envelope has 1 to {MAX_RECIPIENTS} recipients, not {len(recipients)}", field="header.recipients")
    if len({keys.recipient_key_id(r) for r in recipients}) != len(recipients):
        raise MalformedEnvelope("the same recipient key is listed twice", field="header.recipients")
    # Draw order is part of the test vectors: content key, payload salt, one ephemeral key per recipient.
    content_key = rng(KEY_SIZE)
    salt = rng(SALT_SIZE)
    commitment = keys.key_commitment(content_key, salt)
    fixed = encode_fixed_header(binding, segment_size, length, salt, commitment, len(recipients))
    entries = tuple(keys.wrap_content_key(content_key, fixed, r, rng) for r in recipients)
    header = EnvelopeHeader(binding, segment_size, length, salt, commitment, entries)
    return SealedEnvelope(header, _segments(header, content_key, plaintext), signer)


def _segments(header: EnvelopeHeader, content_key: bytes, plaintext: Iterable[bytes]) -> Iterator[bytes]:
    yield header.encode()
    payload_key, prefix = keys.payload_key_and_nonce_prefix(content_key, header.payload_salt)
    aead, associated = AESGCM(payload_key), header.digest()
    reader = ChunkReader(plaintext)
    last_index = header.segment_count - 1
    for index in range(header.segment_count):
        piece = reader.read(header.segment_plaintext_length(index), f"payload segment {index}", field="payload")
        if index == last_index:
            reader.expect_end("the announced payload length")  # also surfaces a file that changed while sealing
        yield aead.encrypt(segment_nonce(prefix, index, index == last_index), piece, associated)
