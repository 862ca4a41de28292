"""The platform's own secrets, created on first start with owner-only permissions.

- ``platform-signing.pem``: Ed25519 key that signs audit checkpoints and receipts.
- ``session-secret``: keys the HMAC that derives CSRF tokens from session tokens.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

SIGNING_KEY_FILE = "platform-signing.pem"
SESSION_SECRET_FILE = "session-secret"


def _ensure_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    """Create a file readable by the owner only; never overwrite one that exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def public_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key_pem(text: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(text.encode() if isinstance(text, str) else text)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verifier_for(public: Ed25519PublicKey):  # noqa: ANN201 - a plain callable
    def verify(message: bytes, signature: bytes) -> bool:
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    return verify


@dataclass(frozen=True)
class PlatformKeys:
    signing_key: Ed25519PrivateKey
    session_secret: bytes

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    @property
    def key_id(self) -> str:
        return public_key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.signing_key.sign(message)

    @classmethod
    def load_or_create(cls, keys_dir: Path, session_secret: str = "") -> PlatformKeys:
        _ensure_private_dir(keys_dir)
        key_path = keys_dir / SIGNING_KEY_FILE
        if not key_path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            try:
                _write_private(key_path, pem)
            except FileExistsError:
                pass  # another process created it first; use theirs
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{key_path} is not an Ed25519 private key")
        if session_secret:
            secret = session_secret.encode()
        else:
            secret_path = keys_dir / SESSION_SECRET_FILE
            if not secret_path.exists():
                try:
                    _write_private(secret_path, secrets.token_hex(32).encode())
                except FileExistsError:
                    pass
            secret = secret_path.read_bytes().strip()
        return cls(signing_key=loaded, session_secret=secret)
