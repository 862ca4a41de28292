"""The envelope's bytes: constants, the header and its parsing, segment geometry.

Everything here is described byte by byte in ``docs/envelope.md``; change the two together.
All integers are unsigned big-endian. Limits keep every number a JavaScript ``Number`` can
hold exactly (at most 2**53 - 1), so the browser never needs ``BigInt`` arithmetic.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass

from bidding.envelope.errors import MalformedEnvelope, UnsupportedVersion

MAGIC = b"PROCBID\x00"
VERSION = 1

KEY_SIZE = 32  # content key, payload key, wrap keys: AES-256
TAG_SIZE = 16  # AES-GCM tag, appended to every ciphertext
NONCE_PREFIX_SIZE = 7  # nonce = prefix(7) | counter(4) | last flag(1)
SALT_SIZE = 32
WRAPPED_KEY_SIZE = KEY_SIZE + TAG_SIZE

DEFAULT_SEGMENT_SIZE = 64 * 1024
MIN_SEGMENT_SIZE = 256  # small enough for tests that cross many segments
MAX_SEGMENT_SIZE = 16 * 1024 * 1024  # bounds the memory a reader must hold for one segment
MAX_RECIPIENTS = 16
MAX_SEGMENTS = 2**32  # the nonce counter is 32 bits
MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER

PRELUDE = struct.Struct(">8sHI")  # magic, version, header_length
BINDING = struct.Struct(">QIQI")  # tender_id, lot_number, organisation_id, bid_version
FIXED_HEADER = struct.Struct(">8sHI24sIQ32s32sB")
RECIPIENT = struct.Struct(">32s32s48s")  # key id, ephemeral public key, wrapped content key
FIXED_HEADER_SIZE = FIXED_HEADER.size  # 115
RECIPIENT_SIZE = RECIPIENT.size  # 112
MAX_HEADER_SIZE = FIXED_HEADER_SIZE + MAX_RECIPIENTS * RECIPIENT_SIZE


@dataclass(frozen=True)
class Binding:
    """What a bid is for: associated data of every segment and part of the signed message."""

    tender_id: int
    lot_number: int
    organisation_id: int
    bid_version: int

    def __post_init__(self) -> None:
        for name, upper in (("tender_id", MAX_SAFE_INTEGER), ("lot_number", 2**32 - 1),
                            ("organisation_id", MAX_SAFE_INTEGER), ("bid_version", 2**32 - 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
                raise MalformedEnvelope(f"{name} must be an integer from 1 to {upper}, not {value!r}", field=f"header.{name}")

    def encode(self) -> bytes:
        return BINDING.pack(self.tender_id, self.lot_number, self.organisation_id, self.bid_version)

    @classmethod
    def decode(cls, raw: bytes) -> Binding:
        return cls(*BINDING.unpack(raw))


@dataclass(frozen=True)
class RecipientEntry:
    key_id: bytes  # SHA-256 of the recipient's raw X25519 public key
    ephemeral_public_key: bytes
    wrapped_key: bytes


@dataclass(frozen=True)
class EnvelopeHeader:
    binding: Binding
    segment_size: int
    payload_length: int
    payload_salt: bytes
    key_commitment: bytes
    recipients: tuple[RecipientEntry, ...]
    version = VERSION

    @property
    def length(self) -> int:
        return header_length(len(self.recipients))

    @property
    def segment_count(self) -> int:
        return segment_count(self.payload_length, self.segment_size)

    @property
    def envelope_length(self) -> int:
        return self.length + self.payload_length + TAG_SIZE * self.segment_count

    def fixed_bytes(self) -> bytes:
        """Everything before the recipient entries: what each wrapped key is bound to."""
        return encode_fixed_header(self.binding, self.segment_size, self.payload_length, self.payload_salt, self.key_commitment, len(self.recipients))

    def encode(self) -> bytes:
        entries = b"".join(RECIPIENT.pack(r.key_id, r.ephemeral_public_key, r.wrapped_key) for r in self.recipients)
        return self.fixed_bytes() + entries

    def digest(self) -> bytes:
        """SHA-256 of the whole header: the associated data of every segment."""
        return hashlib.sha256(self.encode()).digest()

    def segment_plaintext_length(self, index: int) -> int:
        if index < self.segment_count - 1:
            return self.segment_size
        return self.payload_length - self.segment_size * (self.segment_count - 1)


def encode_fixed_header(binding: Binding, segment_size: int, payload_length: int, salt: bytes, commitment: bytes, recipient_count: int) -> bytes:
    return FIXED_HEADER.pack(
        MAGIC, VERSION, header_length(recipient_count), binding.encode(), segment_size, payload_length, salt, commitment, recipient_count
    )


def header_length(recipient_count: int) -> int:
    return FIXED_HEADER_SIZE + RECIPIENT_SIZE * recipient_count


def segment_count(payload_length: int, segment_size: int) -> int:
    """Every segment is full but the last, which is never empty unless the payload is."""
    return max(1, math.ceil(payload_length / segment_size))


def check_segment_size(segment_size: int) -> None:
    if isinstance(segment_size, bool) or not isinstance(segment_size, int) or not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise MalformedEnvelope(
            f"segment_size must be from {MIN_SEGMENT_SIZE} to {MAX_SEGMENT_SIZE} bytes, not {segment_size!r}", field="header.segment_size"
        )


def check_payload_length(payload_length: int, segment_size: int) -> None:
    if not 0 <= payload_length <= MAX_SAFE_INTEGER:
        raise MalformedEnvelope(f"payload_length must be from 0 to {MAX_SAFE_INTEGER}, not {payload_length}", field="header.payload_length")
    if segment_count(payload_length, segment_size) > MAX_SEGMENTS:
        raise MalformedEnvelope(
            f"payload_length {payload_length} needs more than {MAX_SEGMENTS} segments of {segment_size} bytes", field="header.payload_length"
        )


def check_magic(raw: bytes) -> None:
    if raw[: len(MAGIC)] != MAGIC:
        raise MalformedEnvelope("not a sealed-bid envelope: the first 8 bytes are not the magic 'PROCBID\\0'", field="header.magic")


def parse_prelude(raw: bytes) -> int:
    """Checks magic and version from the first 14 bytes; returns the announced header length."""
    check_magic(raw)
    _magic, version, length = PRELUDE.unpack(raw)
    if version != VERSION:
        raise UnsupportedVersion(f"envelope format version {version} is not supported (this reader knows {VERSION})", field="header.version")
    if not header_length(1) <= length <= MAX_HEADER_SIZE or (length - FIXED_HEADER_SIZE) % RECIPIENT_SIZE:
        raise MalformedEnvelope(
            f"header_length {length} is not {FIXED_HEADER_SIZE} + {RECIPIENT_SIZE} x (1 to {MAX_RECIPIENTS} recipients)", field="header.header_length"
        )
    return length


def parse_header(raw: bytes) -> EnvelopeHeader:
    """Parses and checks a complete header (``raw`` is exactly its bytes)."""
    if len(raw) < PRELUDE.size:
        raise MalformedEnvelope("the header is shorter than its 14-byte prelude", field="header")
    length = parse_prelude(raw[: PRELUDE.size])
    if len(raw) != length:
        raise MalformedEnvelope(f"the header has {len(raw)} bytes but announces {length}", field="header.header_length")
    _magic, _version, _length, binding, segment_size, payload_length, salt, commitment, count = FIXED_HEADER.unpack(raw[:FIXED_HEADER_SIZE])
    if length != header_length(count):
        raise MalformedEnvelope(
            f"header_length {length} does not match recipient_count {count} (expects {header_length(count)})", field="header.recipient_count"
        )
    check_segment_size(segment_size)
    check_payload_length(payload_length, segment_size)
    entries = tuple(RecipientEntry(*RECIPIENT.unpack_from(raw, FIXED_HEADER_SIZE + i * RECIPIENT_SIZE)) for i in range(count))
    if len({e.key_id for e in entries}) != count:
        raise MalformedEnvelope("two recipient entries have the same key id", field="header.recipients")
    return EnvelopeHeader(Binding.decode(binding), segment_size, payload_length, salt, commitment, entries)


def segment_nonce(prefix: bytes, index: int, last: bool) -> bytes:
    """STREAM nonce: a moved segment has the wrong counter, a cut-off stream lacks the last flag."""
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
