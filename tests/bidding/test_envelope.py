"""Sealed-bid envelopes: round trips, recipients and keys, the test vectors, bounded memory, refusals."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bidding.envelope import (
    BidderKeys,
    Binding,
    BindingMismatch,
    ContentKeyMismatch,
    EnvelopeError,
    EnvelopeInspector,
    KeyFileError,
    MalformedEnvelope,
    NotARecipient,
    PayloadError,
    PayloadFile,
    SignatureInvalid,
    TrailingData,
    TruncatedEnvelope,
    UnsupportedVersion,
    WrongPassphrase,
    check_content_key,
    envelope_digest,
    file_digest,
    inspect_envelope,
    open_envelope,
    read_header,
    read_keyfile,
    seal,
    unwrap_content_key,
    verify_signature,
    write_keyfile,
)
from bidding.envelope import keys as envelope_keys
from bidding.envelope.digest import FILE_CONTEXT, ChainDigest
from bidding.envelope.format import EnvelopeHeader, encode_fixed_header
from bidding.envelope.payload import encode_manifest
from bidding.envelope.seal import seal_payload
from tests.bidding.envelope_testlib import (
    VECTORS,
    build_keyfile_vector,
    build_vector,
    ed25519,
    pattern,
    replay_rng,
    x25519,
)

BIDDER, OPENER, STRANGER = x25519("bidder"), x25519("opening key"), x25519("stranger")
SIGNER = ed25519("signer")
BINDING = Binding(tender_id=17, lot_number=2, organisation_id=9, bid_version=1)
FIELDS = {"price": "1234567.89", "currency": "CNY", "duration_days": 180}
SEGMENT = 256


def sealed(files: list[PayloadFile], *, recipients=(BIDDER,), fields=FIELDS, binding=BINDING, segment_size=SEGMENT):
    envelope = seal(binding, fields, files, [r.public_key() for r in recipients], signer=SIGNER, segment_size=segment_size)
    return envelope, envelope.to_bytes()


def opened_files(data: bytes, key: X25519PrivateKey = BIDDER) -> tuple[dict, dict[str, bytes]]:
    content_key = unwrap_content_key(read_header([data]), key)
    opened = open_envelope([data[i : i + 100] for i in range(0, len(data), 100)], content_key)
    files = opened.read_files()
    assert opened.digest == envelope_digest(data)
    return opened.manifest.fields, files


def file_for_payload(target: int, name: str = "f.bin") -> PayloadFile:
    """A file that makes the whole payload exactly ``target`` bytes."""
    size = 0
    for _ in range(5):
        manifest = encode_manifest(FIELDS, [PayloadFile.from_bytes(name, bytes(size)).entry])
        size = target - 4 - len(manifest)
    data = pattern(size)
    assert 4 + len(encode_manifest(FIELDS, [PayloadFile.from_bytes(name, data).entry])) + size == target
    return PayloadFile.from_bytes(name, data)


@pytest.mark.parametrize(
    ("files", "segments"),
    [
        pytest.param(list, 1, id="no files"),
        pytest.param(lambda: [PayloadFile.from_bytes("empty.pdf", b"")], 1, id="0-byte file"),
        pytest.param(lambda: [PayloadFile.from_bytes("one.txt", b"x")], 1, id="1-byte file"),
        pytest.param(lambda: [file_for_payload(SEGMENT)], 1, id="exactly one segment"),
        pytest.param(lambda: [file_for_payload(SEGMENT + 1)], 2, id="one byte over"),
        pytest.param(lambda: [file_for_payload(3 * SEGMENT)], 3, id="exactly three segments"),
        pytest.param(lambda: [PayloadFile.from_bytes(f"第{i}册.pdf", pattern(i * 97, i)) for i in range(6)], 9, id="several files"),
    ],
)
def test_round_trip(files, segments: int) -> None:
    files = files()
    envelope, data = sealed(files)
    info = inspect_envelope([data])
    assert (info.segment_count, info.length, info.digest) == (segments, len(data), envelope.digest)
    assert info.recipient_key_ids == (envelope_keys.recipient_key_id(BIDDER.public_key()),)
    verify_signature(info, BINDING, envelope.signature, SIGNER.public_key())
    fields, contents = opened_files(data)
    assert fields == FIELDS
    assert contents == {f.name: b"".join(f.chunks()) for f in files}


def test_files_from_disk_and_a_file_that_changes_while_sealing(tmp_path: Path) -> None:
    path = tmp_path / "技术标.pdf"
    path.write_bytes(pattern(5000))
    source = PayloadFile.from_path(path)
    assert (source.name, source.size) == ("技术标.pdf", 5000)
    _, data = sealed([source])
    assert opened_files(data)[1] == {"技术标.pdf": pattern(5000)}
    path.write_bytes(pattern(5000, 1))  # same size, other bytes
    chunks = []
    with pytest.raises(PayloadError, match="changed after it was measured"):
        chunks.extend(seal(BINDING, FIELDS, [source], [BIDDER.public_key()], segment_size=SEGMENT))
    # The final segment is never produced, so what was emitted cannot pass for a whole envelope.
    with pytest.raises(TruncatedEnvelope):
        inspect_envelope(chunks)


def test_each_recipient_unwraps_the_same_key_and_a_stranger_cannot() -> None:
    _, data = sealed([PayloadFile.from_bytes("a.txt", b"abc")], recipients=(BIDDER, OPENER))
    header = read_header([data])
    assert unwrap_content_key(header, BIDDER) == unwrap_content_key(header, OPENER)
    assert opened_files(data, OPENER)[1] == {"a.txt": b"abc"}
    with pytest.raises(NotARecipient):
        unwrap_content_key(header, STRANGER)


def test_a_wrong_content_key_fails_the_commitment_before_any_decryption() -> None:
    _, data = sealed([PayloadFile.from_bytes("a.txt", b"abc")])
    header = read_header([data])
    right = unwrap_content_key(header, BIDDER)
    assert check_content_key(header, right)
    for wrong in (bytes(32), right[:-1] + bytes([right[-1] ^ 1]), right[:16], right + b"\x00"):
        assert not check_content_key(header, wrong)
        with pytest.raises(ContentKeyMismatch):
            open_envelope([data], wrong)


def test_a_recipient_entry_wrapping_another_key_is_the_sealers_fault() -> None:
    """A bidder who wraps one key to itself and another to the opening key is caught at unwrap."""
    content_key, other_key, salt = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    commitment = envelope_keys.key_commitment(content_key, salt)
    fixed = encode_fixed_header(BINDING, SEGMENT, 10, salt, commitment, 2)
    rng = replay_rng([b"\x04" * 32, b"\x05" * 32])
    entries = (envelope_keys.wrap_content_key(content_key, fixed, BIDDER.public_key(), rng),
               envelope_keys.wrap_content_key(other_key, fixed, OPENER.public_key(), rng))
    header = EnvelopeHeader(BINDING, SEGMENT, 10, salt, commitment, entries)
    assert unwrap_content_key(header, BIDDER) == content_key
    with pytest.raises(ContentKeyMismatch, match="recipient entry 1"):
        unwrap_content_key(header, OPENER)


def test_signature_binds_digest_and_binding() -> None:
    envelope, data = sealed([PayloadFile.from_bytes("a.txt", b"abc")])
    info = inspect_envelope([data])
    verify_signature(info.digest, BINDING, envelope.signature, SIGNER.public_key())
    other = Binding(17, 2, 9, 2)
    with pytest.raises(BindingMismatch):
        verify_signature(info, other, envelope.signature, SIGNER.public_key())
    with pytest.raises(SignatureInvalid):
        verify_signature(info.digest, other, envelope.signature, SIGNER.public_key())
    with pytest.raises(SignatureInvalid):
        verify_signature(info, BINDING, envelope.signature, ed25519("someone else").public_key())


def test_the_inspector_refuses_as_early_as_the_bytes_allow() -> None:
    _, data = sealed([PayloadFile.from_bytes("a.txt", pattern(2000))])
    inspector = EnvelopeInspector()
    with pytest.raises(MalformedEnvelope, match="magic") as refused:
        inspector.feed(b"PK\x03\x04 not an envelope")
    assert refused.value.field == "header.magic"
    with pytest.raises(UnsupportedVersion):
        EnvelopeInspector().feed(data[:8] + b"\x00\x02" + data[10:20])
    with pytest.raises(TrailingData, match="at most 1000"):
        EnvelopeInspector(max_length=1000).feed(data[:400])
    inspector = EnvelopeInspector()
    inspector.feed(data)
    with pytest.raises(TrailingData):
        inspector.feed(b"\x00")
    with pytest.raises(TruncatedEnvelope, match="header announces"):
        inspect_envelope([data[:-1]])
    with pytest.raises(TruncatedEnvelope, match="inside the header"):
        inspect_envelope([data[:100]])


def test_sealing_refuses_bad_parameters_naming_the_field() -> None:
    bad = [
        (lambda: Binding(0, 1, 1, 1), "header.tender_id"),
        (lambda: Binding(1, 1, 2**53, 1), "header.organisation_id"),
        (lambda: seal(BINDING, FIELDS, [], [], segment_size=SEGMENT), "header.recipients"),
        (lambda: seal(BINDING, FIELDS, [], [BIDDER.public_key(), BIDDER.public_key()]), "header.recipients"),
        (lambda: seal(BINDING, FIELDS, [], [BIDDER.public_key()], segment_size=255), "header.segment_size"),
        (lambda: seal(BINDING, FIELDS, [], [BIDDER.public_key()], segment_size=2**24 + 1), "header.segment_size"),
        (lambda: seal(BINDING, {"currency": "CNY"}, [], [BIDDER.public_key()]), "payload.manifest.fields.price"),
        (lambda: seal(BINDING, {"price": 12.5}, [], [BIDDER.public_key()]), "payload.manifest.fields.price"),
        (lambda: seal(BINDING, {"price": "12.505"}, [], [BIDDER.public_key()]), "payload.manifest.fields.price"),
        (lambda: seal(BINDING, {"price": "1", "x": float("nan")}, [], [BIDDER.public_key()]), "payload.manifest.fields"),
        (lambda: seal(BINDING, FIELDS, [PayloadFile.from_bytes("../etc/passwd", b"")], [BIDDER.public_key()]), "payload.manifest.files[0].name"),
        (lambda: seal(BINDING, FIELDS, [PayloadFile.from_bytes("a", b""), PayloadFile.from_bytes("a", b"")], [BIDDER.public_key()]),
         "payload.manifest.files[1].name"),
    ]
    for make, field in bad:
        with pytest.raises(EnvelopeError) as refused:
            make()
        assert refused.value.field == field, refused.value


def _seal_raw(payload: bytes) -> bytes:
    return seal_payload(BINDING, [payload], len(payload), [BIDDER.public_key()], segment_size=SEGMENT).to_bytes()


def _manifest_payload(manifest: bytes, files: bytes = b"") -> bytes:
    return len(manifest).to_bytes(4, "big") + manifest + files


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        pytest.param(b"", "ends 4 bytes", id="empty payload"),
        pytest.param(b"\x00\x00\x00\x10{}", "exceeds the payload", id="manifest longer than payload"),
        pytest.param(_manifest_payload(b"{not json"), "not UTF-8 JSON", id="not json"),
        pytest.param(_manifest_payload(b'{"fields":{"price":"1"},"files":[],"x":1}'), "exactly the keys", id="extra key"),
        pytest.param(_manifest_payload(b'{"fields":{"price":"1","price":"2"},"files":[]}'), "repeats a key", id="duplicate key"),
        pytest.param(_manifest_payload(b'{"fields":{"price":1},"files":[]}'), "price", id="numeric price"),
        pytest.param(_manifest_payload(b'{"fields":{"price":"1","n":NaN},"files":[]}'), "NaN", id="NaN"),
        pytest.param(_manifest_payload(json.dumps({"fields": {"price": "1"}, "files": [{"name": "a", "size": 3, "digest": "00" * 32}]}).encode(), b"abcd"),
                     "payload holds 4", id="sizes do not add up"),
        pytest.param(_manifest_payload(json.dumps({"fields": {"price": "1"}, "files": [{"name": "a", "size": 3, "digest": "00" * 32}]}).encode(), b"abc"),
                     "digest its manifest", id="hash mismatch"),
    ],
)
def test_a_badly_sealed_payload_is_refused_after_it_authenticates(payload: bytes, match: str) -> None:
    data = _seal_raw(payload)
    inspect_envelope([data])  # the framing is sound: only the bidder's content is wrong
    with pytest.raises(PayloadError, match=match):
        opened_files(data)


def test_a_50_mib_payload_seals_inspects_and_opens_in_bounded_memory() -> None:
    size, piece = 50 * 1024 * 1024, 1024 * 1024 + 17  # an odd piece size: reads straddle segments

    def source() -> Iterator[bytes]:
        block = pattern(piece)
        for offset in range(0, size, piece):
            yield block[: min(piece, size - offset)]

    digest = ChainDigest(FILE_CONTEXT)
    for chunk in source():
        digest.update(chunk)
    big = PayloadFile("投标文件.bin", size, digest.digest(), source)
    inspector = EnvelopeInspector()

    def through_inspector(chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            inspector.feed(chunk)
            yield chunk

    tracemalloc.start()
    try:
        envelope = seal(BINDING, FIELDS, [big], [BIDDER.public_key()], signer=SIGNER)
        content_key = unwrap_content_key(envelope.header, BIDDER)
        opened = open_envelope(through_inspector(iter(envelope)), content_key)
        received, out = 0, ChainDigest(FILE_CONTEXT)
        for _entry, data in opened.files():
            for chunk in data:
                received += len(chunk)
                out.update(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    info = inspector.finish()
    assert (received, out.digest()) == (size, big.digest)
    assert info.digest == envelope.digest == opened.digest and info.segment_count == 801
    verify_signature(info, BINDING, envelope.signature, SIGNER.public_key())
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes for a {size}-byte payload"


# ---- Test vectors: the same files test the browser implementation. ----

VECTOR_FILES = sorted(VECTORS.glob("v*.json"))


def test_there_are_vectors() -> None:
    assert len(VECTOR_FILES) == 3 and (VECTORS / "keyfile-1.json").exists() and (VECTORS / "digest-1.json").exists()


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_python_reproduces_the_vector(path: Path) -> None:
    vector = json.loads(path.read_text(encoding="utf-8"))
    inputs, expected = vector["inputs"], vector["expected"]
    assert build_vector(inputs) == expected  # the independent builder still agrees with the file
    draws = [inputs["random"]["content_key"], inputs["random"]["payload_salt"], *inputs["random"]["ephemeral_private_keys"]]
    recipients = [X25519PrivateKey.from_private_bytes(bytes.fromhex(r["x25519_private_key"])) for r in inputs["recipients"]]
    signer = ed25519("vector signer")
    assert signer.private_bytes_raw().hex() == inputs["signer"]["ed25519_private_key"]
    binding = Binding(**inputs["binding"])
    files = [PayloadFile.from_bytes(f["name"], bytes.fromhex(f["content_hex"])) for f in inputs["files"]]
    envelope = seal(binding, inputs["fields"], files, [r.public_key() for r in recipients], signer=signer,
                    segment_size=inputs["segment_size"], rng=replay_rng([bytes.fromhex(d) for d in draws]))
    data = envelope.to_bytes()
    assert data.hex() == expected["envelope"]
    assert (envelope.digest.hex(), envelope.signature.hex()) == (expected["envelope_digest"], expected["signature"])
    for recipient in recipients:
        fields, contents = opened_files(data, recipient)
        assert fields == inputs["fields"]
        assert contents == {f.name: b"".join(f.chunks()) for f in files}


def test_the_chain_digest_matches_its_vector_whatever_the_chunking() -> None:
    vector = json.loads((VECTORS / "digest-1.json").read_text(encoding="utf-8"))
    for n, envelope_hex, file_hex in zip(vector["inputs"]["lengths"], vector["expected"]["envelope_digest"], vector["expected"]["file_digest"], strict=True):
        data = pattern(n)
        assert (envelope_digest(data).hex(), file_digest(data).hex()) == (envelope_hex, file_hex)
        for step in (7, 1000, 65536, 70001):
            digest = ChainDigest(FILE_CONTEXT)
            for offset in range(0, n, step):
                digest.update(data[offset : offset + step])
            assert digest.digest().hex() == file_hex, (n, step)


def test_python_reproduces_the_keyfile_vector() -> None:
    vector = json.loads((VECTORS / "keyfile-1.json").read_text(encoding="utf-8"))
    inputs, expected = vector["inputs"], vector["expected"]
    assert build_keyfile_vector(inputs) == expected
    keys = BidderKeys(X25519PrivateKey.from_private_bytes(bytes.fromhex(inputs["x25519_private_key"])), ed25519("vector signer"), inputs["label"])
    rng = replay_rng([bytes.fromhex(inputs["random"]["salt"]), bytes.fromhex(inputs["random"]["iv"])])
    text = write_keyfile(keys, inputs["passphrase"], iterations=inputs["iterations"], rng=rng)
    assert text.decode() == expected["file_text"]
    again = read_keyfile(expected["file_text"], inputs["passphrase"])
    assert (again.x25519_public, again.ed25519_public, again.label) == (keys.x25519_public, keys.ed25519_public, keys.label)


# ---- The passphrase-protected key file. ----

def test_keyfile_round_trip_and_refusals() -> None:
    keys = BidderKeys.generate("投标密钥")
    text = write_keyfile(keys, "correct horse", iterations=100_000)
    back = read_keyfile(text, "correct horse")
    assert back.x25519.private_bytes_raw() == keys.x25519.private_bytes_raw() and back.ed25519_public == keys.ed25519_public
    # NFC and NFD spellings of one passphrase open the same file (macOS input vs. others).
    nfc = write_keyfile(keys, "café-passphrase", iterations=100_000)
    assert read_keyfile(nfc, "cafe\u0301-passphrase").label == "投标密钥"
    with pytest.raises(WrongPassphrase):
        read_keyfile(text, "correct horsE")
    document = json.loads(text)
    for name, value in (("label", "改过"), ("x25519_public_key", json.loads(write_keyfile(BidderKeys.generate(), "x" * 8, iterations=100_000))["x25519_public_key"])):
        with pytest.raises(WrongPassphrase):
            read_keyfile(json.dumps({**document, name: value}), "correct horse")
    for name, value, match in (("iterations", 1000, "iterations"), ("iterations", 10**9, "iterations"), ("salt", "!!", "base64"),
                               ("kdf", "scrypt", "PBKDF2"), ("format", "x", "format"), ("ciphertext", "AAAA", "80 bytes")):
        with pytest.raises(KeyFileError, match=match):
            read_keyfile(json.dumps({**document, name: value}), "correct horse")
    with pytest.raises(KeyFileError, match="at least 8"):
        write_keyfile(keys, "short")
