"""Award notices (中标通知书) and result letters (中标结果通知书), signed by the platform.

A letter is canonical JSON (sorted keys, no spaces, UTF-8) stating the tender, the lot, the
recipient, the winner and the award amount, and the result notice it follows. The platform
signs ``LETTER_DOMAIN || canonical JSON`` with its Ed25519 key (the key that signs receipts
and audit checkpoints, published at ``/api/audit/public-key``). Anyone holding the letter's
content and signature checks it with ``verify_letter``, offline or through the API; the PDF
prints the content's SHA-256, the signature and these instructions.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from procurement.audit.chain import canonical_json

LETTER_DOMAIN = b"procurement-award-letter/v1\n"
LETTER_FORMAT = "award-letter/v1"


def letter_bytes(content: Mapping[str, Any]) -> bytes:
    return LETTER_DOMAIN + canonical_json(dict(content)).encode()


def content_sha256(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(content)).encode()).hexdigest()


def sign(signing: Any, content: Mapping[str, Any]) -> str:
    """The platform's signature (base64) over the letter; ``signing`` is ``PlatformKeys``."""
    return base64.b64encode(signing.sign(letter_bytes(content))).decode()


def verify_letter(content: Mapping[str, Any], signature_b64: str, public_key: Ed25519PublicKey) -> bool:
    """Whether the platform signed exactly this content, and it is a letter of this format."""
    if content.get("format") != LETTER_FORMAT:
        return False
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), letter_bytes(content))
    except (InvalidSignature, ValueError):
        return False
    return True


def parsed(text: str) -> dict[str, Any]:
    return json.loads(text)  # type: ignore[no-any-return]
