"""Bid receipts: what the platform signs when a bid arrives, and how anyone checks one offline.

A receipt is canonical JSON (sorted keys, no spaces, UTF-8) holding the bid's facts, the
audit entry that recorded the submission (every field, so its hash can be recomputed), the
entry's inclusion path, and the checkpoint signed in the same transaction whose tree ends
with that entry. The platform signs ``RECEIPT_DOMAIN || canonical JSON`` with its Ed25519
key. ``verify_receipt`` needs only the receipt, its signature and the platform's public key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from procurement.audit import chain

RECEIPT_DOMAIN = b"procurement-bid-receipt/v1\n"
RECEIPT_KIND = "bid-receipt/v1"


def receipt_bytes(receipt: Mapping[str, Any]) -> bytes:
    return RECEIPT_DOMAIN + chain.canonical_json(dict(receipt)).encode()


@dataclass(frozen=True)
class ReceiptCheck:
    ok: bool
    checks: list[tuple[str, bool]]  # (what was checked, whether it held), in order

    @property
    def failures(self) -> list[str]:
        return [what for what, held in self.checks if not held]


def verify_receipt(receipt: Mapping[str, Any], signature_b64: str, platform_key: Ed25519PublicKey) -> ReceiptCheck:
    """Check a receipt offline: the platform's signature, the audit entry it cites and that
    entry's place under a checkpoint the platform signed."""
    checks: list[tuple[str, bool]] = []

    def held(what: str, condition: bool) -> bool:
        checks.append((what, condition))
        return condition

    try:
        platform_key.verify(base64.b64decode(signature_b64), receipt_bytes(receipt))
        signed = True
    except (InvalidSignature, ValueError):
        signed = False
    held("the platform signed this receipt", signed)
    held("it is a bid receipt of format v1", receipt.get("kind") == RECEIPT_KIND)
    entry = receipt["audit"]["entry"]
    bid = receipt["bid"]
    details = json.loads(entry["details"])
    held("the audit entry records this bid's envelope",
         entry["action"] == "bid.submitted" and details.get("envelope_sha256") == bid["envelope_sha256"]
         and details.get("envelope_digest") == bid["envelope_digest"] and details.get("size") == bid["size"])
    held("the entry's change digest matches its details", chain.digest_details(entry["details"]) == entry["change_digest"])
    recomputed = chain.entry_hash(entry)
    held("the entry's hash matches its fields", recomputed == entry["entry_hash"])
    checkpoint = receipt["audit"]["checkpoint"]
    root = base64.b64decode(checkpoint["root"])
    held("the entry is in the checkpoint's tree", chain.verify_inclusion(
        entry["seq"] - 1, checkpoint["tree_size"], chain.leaf_hash(recomputed),
        [bytes.fromhex(node) for node in receipt["audit"]["inclusion_path"]], root,
    ))
    # The signed text is rebuilt from the fields, so the fields are what the signature covers.
    text = f"{chain.CHECKPOINT_ORIGIN}\n{checkpoint['tree_size']}\n{checkpoint['root']}\n{checkpoint['signed_at']}\n".encode()
    try:
        platform_key.verify(base64.b64decode(checkpoint["signature"]), text)
        checkpoint_signed = True
    except (InvalidSignature, ValueError):
        checkpoint_signed = False
    held("the platform signed the checkpoint", checkpoint_signed)
    return ReceiptCheck(all(ok for _, ok in checks), checks)
