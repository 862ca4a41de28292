"""Checking an envelope without any key: what the platform does while an upload streams in.

Without the content key only the framing can be checked: the header parses, and the total
length is exactly what its segment size, payload length and recipient count imply. The
digest computed here is what the bidder signed, so any altered byte still fails the
signature check; the segments' contents are proved only at the opening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bidding.envelope.digest import ENVELOPE_CONTEXT, ChainDigest
from bidding.envelope.errors import BindingMismatch, TrailingData, TruncatedEnvelope
from bidding.envelope.format import (
    MAGIC,
    PRELUDE,
    Binding,
    EnvelopeHeader,
    check_magic,
    parse_header,
    parse_prelude,
)
from bidding.envelope.signature import verify_envelope_signature


@dataclass(frozen=True)
class EnvelopeInfo:
    header: EnvelopeHeader
    length: int
    digest: bytes  # the envelope digest (digest.py): what the bidder signs

    @property
    def binding(self) -> Binding:
        return self.header.binding

    @property
    def segment_count(self) -> int:
        return self.header.segment_count

    @property
    def recipient_key_ids(self) -> tuple[bytes, ...]:
        return tuple(r.key_id for r in self.header.recipients)


class EnvelopeInspector:
    """Push-based check: ``feed`` chunks as they arrive, then ``finish``.

    Fails as early as the bytes allow: a wrong magic within the first 8 bytes, an envelope
    announcing more than ``max_length`` as soon as its header is in, one byte too many at once.
    """

    def __init__(self, *, max_length: int | None = None) -> None:
        self._max_length = max_length
        self._digest = ChainDigest(ENVELOPE_CONTEXT)
        self._buffer = bytearray()
        self._header: EnvelopeHeader | None = None
        self._header_length: int | None = None
        self.length = 0

    def feed(self, chunk: bytes) -> None:
        if self._header is not None and self.length + len(chunk) > self._header.envelope_length:
            raise TrailingData(f"the envelope is longer than the {self._header.envelope_length} bytes its header announces", field="trailer")
        self._digest.update(chunk)
        self.length += len(chunk)
        if self._header is None:
            self._buffer += chunk
            self._parse_buffered()

    def _parse_buffered(self) -> None:
        if self._header_length is None:
            if len(self._buffer) >= PRELUDE.size:
                self._header_length = parse_prelude(bytes(self._buffer[: PRELUDE.size]))
            elif len(self._buffer) >= len(MAGIC):
                check_magic(bytes(self._buffer))
        if self._header_length is not None and len(self._buffer) >= self._header_length:
            header = parse_header(bytes(self._buffer[: self._header_length]))
            if self._max_length is not None and header.envelope_length > self._max_length:
                raise TrailingData(f"the envelope announces {header.envelope_length} bytes; at most {self._max_length} are accepted", field="header.payload_length")
            if self.length > header.envelope_length:
                raise TrailingData(f"the envelope is longer than the {header.envelope_length} bytes its header announces", field="trailer")
            self._header = header
            self._buffer = bytearray()

    def finish(self) -> EnvelopeInfo:
        if self._header is None:
            raise TruncatedEnvelope(f"the stream ends after {self.length} bytes, inside the header", field="header")
        if self.length != self._header.envelope_length:
            raise TruncatedEnvelope(
                f"the envelope has {self.length} bytes; its header announces {self._header.envelope_length} "
                f"({self._header.segment_count} segments)", field="segments",
            )
        return EnvelopeInfo(self._header, self.length, self._digest.digest())


def inspect_envelope(chunks: Iterable[bytes], *, max_length: int | None = None) -> EnvelopeInfo:
    inspector = EnvelopeInspector(max_length=max_length)
    for chunk in chunks:
        inspector.feed(chunk)
    return inspector.finish()


def verify_signature(info: EnvelopeInfo | bytes, binding: Binding, signature: bytes, public_key: Ed25519PublicKey) -> None:
    """Refuses unless ``signature`` is the bidder's over ``binding`` and the envelope digest.

    Given an ``EnvelopeInfo``, also refuses an envelope whose header names another binding.
    """
    if isinstance(info, EnvelopeInfo):
        if info.binding != binding:
            raise BindingMismatch(f"the envelope is sealed for {info.binding}, not {binding}", field="header.binding")
        digest = info.digest
    else:
        digest = info
    verify_envelope_signature(digest, binding, signature, public_key)
