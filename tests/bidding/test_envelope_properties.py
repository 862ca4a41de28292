"""Tampering properties: whatever is changed, dropped, moved, cut or spliced, the envelope is refused.

"Refused" means both: the reader (inspect, unwrap, open, read to the end) raises an
``EnvelopeError``, and the bidder's signature no longer verifies. Opening is tried twice:
with the key the recipient unwraps from the altered header, and with the content key
released for the original envelope (what the platform holds at the opening).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bidding.envelope import (
    Binding,
    EnvelopeError,
    PayloadFile,
    SignatureInvalid,
    envelope_digest,
    inspect_envelope,
    open_envelope,
    read_header,
    seal,
    unwrap_content_key,
    verify_signature,
)
from bidding.envelope.format import (
    FIXED_HEADER_SIZE,
    RECIPIENT_SIZE,
    TAG_SIZE,
    parse_header,
)
from tests.bidding.envelope_testlib import ed25519, pattern, x25519

BIDDER, OPENER = x25519("bidder"), x25519("opening key")
SIGNER = ed25519("signer")
BINDING = Binding(tender_id=31, lot_number=1, organisation_id=12, bid_version=3)
FIELDS = {"price": "880000.00", "currency": "CNY"}
FILES = [PayloadFile.from_bytes("商务标.pdf", pattern(700)), PayloadFile.from_bytes("empty", b""), PayloadFile.from_bytes("技术标.pdf", pattern(300, 5))]
SEGMENT = 256


def _seal(files=FILES, binding=BINDING):
    envelope = seal(binding, FIELDS, files, [BIDDER.public_key(), OPENER.public_key()], signer=SIGNER, segment_size=SEGMENT)
    data = envelope.to_bytes()
    return data, envelope.signature


ORIGINAL, SIGNATURE = _seal()
HEADER = read_header([ORIGINAL])
HEADER_LENGTH = HEADER.length
CONTENT_KEY = unwrap_content_key(HEADER, BIDDER)
SEGMENTS = [ORIGINAL[HEADER_LENGTH + i * (SEGMENT + TAG_SIZE) : HEADER_LENGTH + (i + 1) * (SEGMENT + TAG_SIZE)] for i in range(HEADER.segment_count)]
assert HEADER.segment_count == 6 and HEADER_LENGTH + sum(map(len, SEGMENTS)) == len(ORIGINAL)


def _read_everything(data: bytes, content_key: bytes | None) -> None:
    info = inspect_envelope([data])
    key = content_key if content_key is not None else unwrap_content_key(info.header, BIDDER)
    opened = open_envelope([data[i : i + 77] for i in range(0, len(data), 77)], key)
    for _entry, chunks in opened.files():
        for _ in chunks:
            pass


def assert_refused(data: bytes) -> None:
    assert data != ORIGINAL
    for content_key in (None, CONTENT_KEY):
        with pytest.raises(EnvelopeError):
            _read_everything(data, content_key)
    with pytest.raises(SignatureInvalid):
        verify_signature(envelope_digest(data), BINDING, SIGNATURE, SIGNER.public_key())


def test_the_untouched_envelope_opens_for_both_recipients() -> None:
    _read_everything(ORIGINAL, None)
    _read_everything(ORIGINAL, unwrap_content_key(HEADER, OPENER))
    verify_signature(inspect_envelope([ORIGINAL]), BINDING, SIGNATURE, SIGNER.public_key())


def test_every_single_bit_flip_at_every_offset_is_refused() -> None:
    """Exhaustive over positions (the lowest bit of each byte); hypothesis covers other values."""
    for offset in range(len(ORIGINAL)):
        altered = bytearray(ORIGINAL)
        altered[offset] ^= 1
        assert_refused(bytes(altered))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_bytes_changed_anywhere_are_refused(data: st.DataObject) -> None:
    altered = bytearray(ORIGINAL)
    for _ in range(data.draw(st.integers(1, 3))):
        offset = data.draw(st.integers(0, len(ORIGINAL) - 1))
        altered[offset] = data.draw(st.integers(0, 255).filter(lambda b, o=offset: b != ORIGINAL[o]))
    assert_refused(bytes(altered))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, len(SEGMENTS) - 1), min_size=1, max_size=10))
def test_segments_dropped_duplicated_or_reordered_are_refused(order: list[int]) -> None:
    if order == list(range(len(SEGMENTS))):
        return
    assert_refused(ORIGINAL[:HEADER_LENGTH] + b"".join(SEGMENTS[i] for i in order))


@pytest.mark.parametrize("index", range(6))
def test_each_segment_dropped_duplicated_or_swapped_with_the_next(index: int) -> None:
    rest = list(range(len(SEGMENTS)))
    body = lambda order: ORIGINAL[:HEADER_LENGTH] + b"".join(SEGMENTS[i] for i in order)
    assert_refused(body([i for i in rest if i != index]))
    assert_refused(body(rest[: index + 1] + [index] + rest[index + 1 :]))
    if index + 1 < len(SEGMENTS):
        swapped = rest.copy()
        swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
        assert_refused(body(swapped))


def test_truncated_at_every_length_or_extended_is_refused() -> None:
    for length in range(len(ORIGINAL)):
        assert_refused(ORIGINAL[:length])
    assert_refused(ORIGINAL + b"\x00")
    assert_refused(ORIGINAL + SEGMENTS[-1])


HEADER_FIELDS = {  # name: (offset, size) in the header, per docs/envelope.md
    "magic": (0, 8), "version": (8, 2), "header_length": (10, 4), "tender_id": (14, 8), "lot_number": (22, 4),
    "organisation_id": (26, 8), "bid_version": (34, 4), "segment_size": (38, 4), "payload_length": (42, 8),
    "payload_salt": (50, 32), "key_commitment": (82, 32), "recipient_count": (114, 1),
    **{f"recipients[{r}].{name}": (FIXED_HEADER_SIZE + r * RECIPIENT_SIZE + offset, size)
       for r in range(2) for name, offset, size in (("key_id", 0, 32), ("ephemeral_public_key", 32, 32), ("wrapped_key", 64, 48))},
}


def test_the_field_table_covers_the_header_exactly() -> None:
    covered = sorted(HEADER_FIELDS.values())
    assert covered[0][0] == 0 and all(a + n == b for (a, n), (b, _) in itertools.pairwise(covered))
    assert covered[-1][0] + covered[-1][1] == HEADER_LENGTH


@pytest.mark.parametrize("field", HEADER_FIELDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_any_header_field_altered_is_refused(field: str, data: st.DataObject) -> None:
    offset, size = HEADER_FIELDS[field]
    value = data.draw(st.binary(min_size=size, max_size=size).filter(lambda v: v != ORIGINAL[offset : offset + size]))
    assert_refused(ORIGINAL[:offset] + value + ORIGINAL[offset + size :])


@pytest.mark.parametrize("field", ["tender_id", "lot_number", "organisation_id", "bid_version"])
def test_a_binding_rewritten_consistently_is_refused(field: str) -> None:
    """Re-encoding the header with another binding (every length still right) opens nothing."""
    moved = Binding(**{**BINDING.__dict__, field: getattr(BINDING, field) + 1})
    header = parse_header(ORIGINAL[:HEADER_LENGTH])
    forged = type(header)(moved, header.segment_size, header.payload_length, header.payload_salt, header.key_commitment, header.recipients)
    data = forged.encode() + ORIGINAL[HEADER_LENGTH:]
    assert inspect_envelope([data]).binding == moved  # structurally fine: only the keys can tell
    assert_refused(data)
    with pytest.raises(SignatureInvalid):
        verify_signature(envelope_digest(ORIGINAL), moved, SIGNATURE, SIGNER.public_key())


def test_recipient_entries_reordered_are_refused() -> None:
    header = parse_header(ORIGINAL[:HEADER_LENGTH])
    forged = type(header)(header.binding, header.segment_size, header.payload_length, header.payload_salt,
                          header.key_commitment, header.recipients[::-1])
    assert_refused(forged.encode() + ORIGINAL[HEADER_LENGTH:])


OTHER, _ = _seal(files=[PayloadFile.from_bytes("商务标.pdf", pattern(700, 1)), FILES[1], FILES[2]])
OTHER_SEGMENTS = [OTHER[HEADER_LENGTH + i * (SEGMENT + TAG_SIZE) : HEADER_LENGTH + (i + 1) * (SEGMENT + TAG_SIZE)] for i in range(6)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=7, max_size=7).filter(lambda picks: any(picks) and not all(picks)))
def test_splicing_two_envelopes_of_the_same_bidder_is_refused(picks: list[bool]) -> None:
    """Same bidder, binding and lengths: any mix of header and segments from the two fails."""
    assert len(OTHER) == len(ORIGINAL)
    parts = [(OTHER if picks[0] else ORIGINAL)[:HEADER_LENGTH]]
    parts += [(OTHER_SEGMENTS if pick else SEGMENTS)[i] for i, pick in enumerate(picks[1:])]
    assert_refused(b"".join(parts))
