"""Fixed keys, a replayable RNG, and an independent builder of the envelope test vectors.

``build_vector`` assembles an envelope straight from ``docs/envelope.md`` with the raw
primitives, sharing no code with ``bidding.envelope``; the vector test then holds the library
to the bytes it produces. The JavaScript implementation is tested against the same files.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VECTORS = Path(__file__).parent / "vectors"
RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def x25519(label: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(seed(label))


def ed25519(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed(label))


def pattern(n: int, start: int = 0) -> bytes:
    return bytes((start + i) % 251 for i in range(n))


def replay_rng(draws: list[bytes]) -> Callable[[int], bytes]:
    """Hands out the given values in order, checking each request's size."""
    queue = list(draws)

    def rng(n: int) -> bytes:
        value = queue.pop(0)
        assert len(value) == n, f"asked for {n} random bytes, the vector has {len(value)}"
        return value

    return rng


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


# ---- The vector builder: docs/envelope.md, section by section. ----

def chain(context: bytes, data: bytes) -> bytes:
    """The SHA-256 chain, block by block as the document describes it."""
    state = hashlib.sha256(context).digest()
    for offset in range(0, len(data), 65536):
        state = hashlib.sha256(b"\x00" + state + data[offset : offset + 65536]).digest()
    return hashlib.sha256(b"\x01" + state + len(data).to_bytes(8, "big")).digest()


def build_vector(spec: dict[str, Any]) -> dict[str, Any]:
    label = b"procurement-bid-envelope/v1 "
    b = spec["binding"]
    binding = struct.pack(">QIQI", b["tender_id"], b["lot_number"], b["organisation_id"], b["bid_version"])
    files = [(f["name"], bytes.fromhex(f["content_hex"])) for f in spec["files"]]
    manifest = json.dumps(
        {"fields": spec["fields"], "files": [{"name": n, "size": len(c), "digest": chain(label + b"file digest", c).hex()} for n, c in files]},
        ensure_ascii=False, separators=(",", ":"),
    ).encode()
    payload = len(manifest).to_bytes(4, "big") + manifest + b"".join(c for _, c in files)
    size = spec["segment_size"]
    content_key, salt = bytes.fromhex(spec["random"]["content_key"]), bytes.fromhex(spec["random"]["payload_salt"])
    recipients = [bytes.fromhex(r["x25519_public_key"]) for r in spec["recipients"]]
    commitment = _hkdf(content_key, salt, label + b"key commitment", 32)
    count = len(recipients)
    fixed = b"PROCBID\x00" + struct.pack(">HI", 1, 115 + 112 * count) + binding + struct.pack(">IQ", size, len(payload)) + salt + commitment + bytes([count])
    wrap_salt = hashlib.sha256(fixed).digest()
    entries, wraps = b"", []
    for recipient, eph_hex in zip(recipients, spec["random"]["ephemeral_private_keys"], strict=True):
        ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(eph_hex))
        eph_public = ephemeral.public_key().public_bytes(*RAW)
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
        wrap_key = _hkdf(shared, wrap_salt, label + b"wrap" + eph_public + recipient, 32)
        wrapped = AESGCM(wrap_key).encrypt(bytes(12), content_key, None)
        entries += hashlib.sha256(recipient).digest() + eph_public + wrapped
        wraps.append({"key_id": hashlib.sha256(recipient).hexdigest(), "ephemeral_public_key": eph_public.hex(),
                      "shared_secret": shared.hex(), "wrap_key": wrap_key.hex(), "wrapped_key": wrapped.hex()})
    header = fixed + entries
    header_hash = hashlib.sha256(header).digest()
    payload_key = _hkdf(content_key, salt, label + b"payload key", 32)
    prefix = _hkdf(content_key, salt, label + b"nonce prefix", 7)
    n = max(1, -(-len(payload) // size))
    segments = []
    for i in range(n):
        nonce = prefix + i.to_bytes(4, "big") + (b"\x01" if i == n - 1 else b"\x00")
        segments.append({"nonce": nonce.hex(), "ciphertext": AESGCM(payload_key).encrypt(nonce, payload[i * size : (i + 1) * size], header_hash).hex()})
    envelope = header + b"".join(bytes.fromhex(s["ciphertext"]) for s in segments)
    digest = chain(label + b"envelope digest", envelope)
    message = b"procurement-bid-envelope/v1 signature\x00" + binding + digest
    signature = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["signer"]["ed25519_private_key"])).sign(message)
    return {
        "binding_bytes": binding.hex(),
        "manifest_utf8": manifest.decode(),
        "payload": payload.hex(),
        "payload_length": len(payload),
        "key_commitment": commitment.hex(),
        "fixed_header": fixed.hex(),
        "wrap_salt": wrap_salt.hex(),
        "recipients": wraps,
        "header": header.hex(),
        "header_sha256": header_hash.hex(),
        "payload_key": payload_key.hex(),
        "nonce_prefix": prefix.hex(),
        "segments": segments,
        "envelope": envelope.hex(),
        "envelope_digest": digest.hex(),
        "signed_message": message.hex(),
        "signature": signature.hex(),
    }


def _recipient(label: str) -> dict[str, str]:
    key = x25519(label)
    return {"label": label, "x25519_private_key": key.private_bytes_raw().hex(), "x25519_public_key": key.public_key().public_bytes(*RAW).hex()}


def vector_specs() -> list[dict[str, Any]]:
    signer = ed25519("vector signer")
    signer_spec = {"ed25519_private_key": signer.private_bytes_raw().hex(), "ed25519_public_key": signer.public_key().public_bytes(*RAW).hex()}

    def spec(name: str, description: str, binding: tuple[int, int, int, int], fields: dict, files: list[tuple[str, bytes]], recipients: list[str]) -> dict:
        return {
            "name": name,
            "description": description,
            "binding": dict(zip(("tender_id", "lot_number", "organisation_id", "bid_version"), binding, strict=True)),
            "segment_size": 256,
            "fields": fields,
            "files": [{"name": n, "content_hex": c.hex()} for n, c in files],
            "recipients": [_recipient(r) for r in recipients],
            "signer": signer_spec,
            "random": {
                "content_key": seed(f"{name} content key").hex(),
                "payload_salt": seed(f"{name} payload salt").hex(),
                "ephemeral_private_keys": [seed(f"{name} ephemeral {i}").hex() for i in range(len(recipients))],
            },
        }

    # Vector 3's payload is exactly two segments: 4 + manifest + files = 512.
    fields3 = {"price": "0.01", "currency": "CNY"}
    probe = build_vector(spec("p", "", (1, 1, 1, 1), fields3, [("empty.dat", b""), ("filler.bin", b"")], ["vector bidder"]))
    filler = 512 - probe["payload_length"] - 2  # the size grows from "0" to three digits
    return [
        spec("v1-one-recipient", "One recipient, one small file: the payload fits one segment (the worked example in docs/envelope.md).",
             (1001, 1, 42, 1), {"price": "1234567.89", "currency": "CNY", "duration_days": 180},
             [("bid.txt", b"Sealed bid, vector 1.\n")], ["vector bidder"]),
        spec("v2-two-recipients", "The bidder's key and a tender opening key; non-ASCII names; three segments, the last partial.",
             (1002, 3, 77, 2), {"price": "99.50", "currency": "CNY", "备注": "含税价"},
             [("技术标.pdf", pattern(300)), ("报价单.xlsx", pattern(120, 7))], ["vector bidder", "vector opening key"]),
        spec("v3-exact-segments", "A payload of exactly two full segments (no empty final segment) and an empty file.",
             (1003, 2, 42, 5), fields3, [("empty.dat", b""), ("filler.bin", pattern(filler, 3))], ["vector bidder"]),
    ]


def keyfile_spec() -> dict[str, Any]:
    return {
        "name": "keyfile-1",
        "description": "procurement-bid-keys/v1 with the minimum 100000 iterations (real files use 600000).",
        "passphrase": "正确的马 battery staple",
        "label": "投标密钥 2025",
        "iterations": 100_000,
        "x25519_private_key": seed("vector bidder").hex(),
        "ed25519_private_key": seed("vector signer").hex(),
        "random": {"salt": seed("keyfile salt")[:16].hex(), "iv": seed("keyfile iv")[:12].hex()},
    }


def build_keyfile_vector(spec: dict[str, Any]) -> dict[str, Any]:
    """The key file's derived key and ciphertext, from the raw primitives."""
    import base64
    import unicodedata

    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    x_private = X25519PrivateKey.from_private_bytes(bytes.fromhex(spec["x25519_private_key"]))
    ed_private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["ed25519_private_key"]))
    x_public, ed_public = x_private.public_key().public_bytes(*RAW), ed_private.public_key().public_bytes(*RAW)
    salt, iv = bytes.fromhex(spec["random"]["salt"]), bytes.fromhex(spec["random"]["iv"])
    passphrase = unicodedata.normalize("NFC", spec["passphrase"]).encode()
    key = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=spec["iterations"]).derive(passphrase)
    associated = b"procurement-bid-keys/v1\n" + x_public + ed_public + spec["label"].encode()
    ciphertext = AESGCM(key).encrypt(iv, x_private.private_bytes_raw() + ed_private.private_bytes_raw(), associated)
    document = {
        "format": "procurement-bid-keys/v1", "label": spec["label"],
        "x25519_public_key": base64.b64encode(x_public).decode(), "ed25519_public_key": base64.b64encode(ed_public).decode(),
        "kdf": "PBKDF2-HMAC-SHA256", "iterations": spec["iterations"], "salt": base64.b64encode(salt).decode(),
        "cipher": "AES-256-GCM", "iv": base64.b64encode(iv).decode(), "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    return {
        "pbkdf2_key": key.hex(),
        "associated_data": associated.hex(),
        "file_text": json.dumps(document, ensure_ascii=False, indent=2) + "\n",
    }


def write_vectors() -> None:
    """Regenerates tests/bidding/vectors/ (run by hand after a deliberate format change)."""
    VECTORS.mkdir(exist_ok=True)
    for spec in vector_specs():
        document = {"format": "procurement-bid-envelope/v1", "inputs": spec, "expected": build_vector(spec)}
        (VECTORS / f"{spec['name']}.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lengths = [0, 1, 65535, 65536, 65537, 200_000]
    document = {
        "format": "procurement-bid-envelope/v1 digest",
        "inputs": {"description": "SHA-256 chains of pattern(n): byte i is i % 251", "lengths": lengths},
        "expected": {
            "envelope_digest": [chain(b"procurement-bid-envelope/v1 envelope digest", pattern(n)).hex() for n in lengths],
            "file_digest": [chain(b"procurement-bid-envelope/v1 file digest", pattern(n)).hex() for n in lengths],
        },
    }
    (VECTORS / "digest-1.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    spec = keyfile_spec()
    document = {"format": "procurement-bid-keys/v1", "inputs": spec, "expected": build_keyfile_vector(spec)}
    (VECTORS / f"{spec['name']}.json").write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
