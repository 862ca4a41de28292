"""A bidder's two private keys in one passphrase-protected file, readable by Python and the browser.

PBKDF2-HMAC-SHA256 because WebCrypto has neither scrypt nor Argon2, with a high iteration
count to make up for it; AES-256-GCM with the public keys and label as associated data, so
a file whose public halves were swapped does not open. Raw 32-byte private keys: the browser
imports them through JWK (``d``) or a fixed PKCS#8 prefix (see ``docs/envelope.md``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from bidding.envelope.errors import KeyFileError, WrongPassphrase
from bidding.envelope.keys import Rng

FORMAT = "procurement-bid-keys/v1"
DEFAULT_ITERATIONS = 600_000  # OWASP's 2023 figure for PBKDF2-HMAC-SHA256
MIN_ITERATIONS = 100_000
MAX_ITERATIONS = 10_000_000  # a hostile file must not make opening it take hours
MIN_PASSPHRASE = 8
MAX_LABEL = 100
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class BidderKeys:
    x25519: X25519PrivateKey  # receives wrapped content keys
    ed25519: Ed25519PrivateKey  # signs envelopes
    label: str = ""

    @classmethod
    def generate(cls, label: str = "") -> BidderKeys:
        return cls(X25519PrivateKey.generate(), Ed25519PrivateKey.generate(), label)

    @property
    def x25519_public(self) -> bytes:
        return self.x25519.public_key().public_bytes(*_RAW)

    @property
    def ed25519_public(self) -> bytes:
        return self.ed25519.public_key().public_bytes(*_RAW)


def _key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(secret)


def _associated(x25519_public: bytes, ed25519_public: bytes, label: str) -> bytes:
    return FORMAT.encode() + b"\n" + x25519_public + ed25519_public + label.encode("utf-8")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def write_keyfile(keys: BidderKeys, passphrase: str, *, iterations: int = DEFAULT_ITERATIONS, rng: Rng = os.urandom) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyFileError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise KeyFileError(f"iterations must be from {MIN_ITERATIONS} to {MAX_ITERATIONS}")
    if len(keys.label) > MAX_LABEL:
        raise KeyFileError(f"the label has at most {MAX_LABEL} characters")
    salt, iv = rng(16), rng(12)
    secret = keys.x25519.private_bytes_raw() + keys.ed25519.private_bytes_raw()
    sealed = AESGCM(_key(passphrase, salt, iterations)).encrypt(iv, secret, _associated(keys.x25519_public, keys.ed25519_public, keys.label))
    document = {
        "format": FORMAT,
        "label": keys.label,
        "x25519_public_key": _b64(keys.x25519_public),
        "ed25519_public_key": _b64(keys.ed25519_public),
        "kdf": "PBKDF2-HMAC-SHA256",
        "iterations": iterations,
        "salt": _b64(salt),
        "cipher": "AES-256-GCM",
        "iv": _b64(iv),
        "ciphertext": _b64(sealed),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _field(document: dict, name: str, size: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(document[name], validate=True)
    except (KeyError, TypeError, binascii.Error) as exc:
        raise KeyFileError(f"key file field {name!r} is missing or not base64") from exc
    if size is not None and len(raw) != size:
        raise KeyFileError(f"key file field {name!r} must hold {size} bytes, not {len(raw)}")
    return raw


def read_keyfile(data: bytes | str, passphrase: str) -> BidderKeys:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFileError("not a key file: not JSON") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise KeyFileError(f"not a key file of format {FORMAT!r}")
    if document.get("kdf") != "PBKDF2-HMAC-SHA256" or document.get("cipher") != "AES-256-GCM":
        raise KeyFileError("the key file must use PBKDF2-HMAC-SHA256 and AES-256-GCM")
    iterations, label = document.get("iterations"), document.get("label", "")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise KeyFileError(f"iterations must be an integer from {MIN_ITERATIONS} to {MAX_ITERATIONS}")
    if not isinstance(label, str):
        raise KeyFileError("the label must be a string")
    x_public, ed_public = _field(document, "x25519_public_key", 32), _field(document, "ed25519_public_key", 32)
    key = _key(passphrase, _field(document, "salt", 16), iterations)
    try:
        secret = AESGCM(key).decrypt(_field(document, "iv", 12), _field(document, "ciphertext", 80), _associated(x_public, ed_public, label))
    except InvalidTag as exc:
        raise WrongPassphrase("the passphrase does not open this key file, or the file was altered") from exc
    keys = BidderKeys(X25519PrivateKey.from_private_bytes(secret[:32]), Ed25519PrivateKey.from_private_bytes(secret[32:]), label)
    if (keys.x25519_public, keys.ed25519_public) != (x_public, ed_public):
        raise KeyFileError("the private keys in the file do not match its public keys")
    return keys
