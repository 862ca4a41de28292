"""The audit log's hashing, Merkle tree and proofs: pure functions, no database.

Both ``procurement audit verify`` and the standalone verifier
(``python -m procurement.audit.verify``) use this module, so the rules are written once.
The formats are described in ``docs/audit-log.md``.

- ``change_digest`` = SHA-256 of the entry's canonical details JSON.
- ``entry_hash`` = SHA-256 of ``ENTRY_DOMAIN`` followed by every field, each as a
  netstring (``<byte length>:<bytes>,``), in ``ENTRY_FIELDS`` order; the previous entry's
  hash is one of the fields, which chains the entries.
- The Merkle tree follows RFC 9162 §2.1: leaf hash = SHA-256(0x00 || entry hash bytes),
  node hash = SHA-256(0x01 || left || right).
- A checkpoint is the text ``CHECKPOINT_ORIGIN\\n<size>\\n<base64 root>\\n<time>\\n``, signed
  with the platform's Ed25519 key.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ENTRY_DOMAIN = b"procurement-audit-entry/v1\n"
CHECKPOINT_ORIGIN = "procurement-audit-log/v1"
GENESIS_HASH = "0" * 64
ENTRY_FIELDS = (
    "seq",
    "recorded_at",
    "actor_id",
    "actor_name",
    "organisation_id",
    "action",
    "subject_type",
    "subject_id",
    "change_digest",
    "request_id",
    "prev_hash",
)

_sha256 = hashlib.sha256


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest_details(details_json: str) -> str:
    return _sha256(details_json.encode()).hexdigest()


def format_time(moment: datetime) -> str:
    """UTC, microseconds, 'Z': the only time form that enters a hash."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and this runs once per entry verified.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_bytes(entry: Mapping[str, Any]) -> bytes:
    # Written out rather than looped over ENTRY_FIELDS: this is the verifier's hot path.
    recorded_at = entry["recorded_at"]
    if isinstance(recorded_at, datetime):
        recorded_at = format_time(recorded_at)
    values = (
        str(entry["seq"]),
        recorded_at,
        "" if entry["actor_id"] is None else str(entry["actor_id"]),
        entry["actor_name"],
        "" if entry["organisation_id"] is None else str(entry["organisation_id"]),
        entry["action"],
        entry["subject_type"],
        entry["subject_id"],
        entry["change_digest"],
        entry["request_id"],
        entry["prev_hash"],
    )
    text = "".join([f"{len(v)}:{v}," for v in values])
    if text.isascii():  # the usual case: character counts are byte counts
        return ENTRY_DOMAIN + text.encode()
    return ENTRY_DOMAIN + b"".join([b"%d:%s," % (len(raw), raw) for raw in (v.encode() for v in values)])


def entry_hash(entry: Mapping[str, Any]) -> str:
    return _sha256(entry_bytes(entry)).hexdigest()


# --- Merkle tree (RFC 9162 §2.1) -------------------------------------------------------


def leaf_hash(entry_hash_hex: str) -> bytes:
    return _sha256(b"\x00" + bytes.fromhex(entry_hash_hex)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = _sha256(b"").digest()


class MerkleAccumulator:
    """Builds the root incrementally in O(log n) memory: feed leaf hashes in order.

    Keeps the roots of the perfect subtrees that make up the tree so far (the binary
    representation of the size), which is also how a streaming verifier checks every
    checkpoint in one pass.
    """

    def __init__(self, size: int = 0, frontier: Sequence[bytes] = ()) -> None:
        if len(frontier) != size.bit_count():
            raise ValueError("a frontier holds one perfect subtree root per 1 bit of the size")
        self.size = size
        self._stack: list[bytes] = list(frontier)  # perfect subtree roots, largest first

    @property
    def frontier(self) -> list[bytes]:
        """What the accumulator keeps: enough to go on appending and to compute the root."""
        return list(self._stack)

    def append_with_proof(self, leaf: bytes) -> list[bytes]:
        """Append ``leaf`` and return its audit path in the grown tree.

        The newest leaf's siblings on the way up are exactly the perfect subtrees the tree
        had before it, smallest first: so the proof costs nothing extra to produce.
        """
        path = list(reversed(self._stack))
        self.append(leaf)
        return path

    def append(self, leaf: bytes) -> None:
        node = leaf
        size = self.size
        while size & 1:
            node = node_hash(self._stack.pop(), node)
            size >>= 1
        self._stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    acc = MerkleAccumulator()
    for leaf in leaves:
        acc.append(leaf)
    return acc.root()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of ``leaves`` (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ValueError("index outside the tree")
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    # Walk down, collecting siblings; the path is ordered from the leaf up.
    while hi - lo > 1:
        k = _split(hi - lo)
        if m - lo < k:
            path.append(merkle_root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            path.append(merkle_root(leaves[lo : lo + k]))
            lo = lo + k
    path.reverse()
    return path


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the first ``old_size`` leaves are a prefix of ``leaves`` (RFC 9162 §2.1.4.1)."""
    new_size = len(leaves)
    if not 0 < old_size <= new_size:
        raise ValueError("old size must be between 1 and the new size")
    if old_size == new_size:
        return []
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [merkle_root(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], whole) + [merkle_root(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [merkle_root(leaves[:k])]


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if old_size > new_size or old_size < 1:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# --- Checkpoints ----------------------------------------------------------------------


def checkpoint_text(tree_size: int, root: bytes, signed_at: datetime) -> bytes:
    return f"{CHECKPOINT_ORIGIN}\n{tree_size}\n{base64.b64encode(root).decode()}\n{format_time(signed_at)}\n".encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


# --- Verification of a whole log ------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "log"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CheckpointRecord:
    tree_size: int
    root_hash: str  # hex
    signed_at: datetime
    signature: str  # base64


def verify_log(
    entries: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[CheckpointRecord],
    verify_signature: Any,
    *,
    head: tuple[int, str] | None = None,
) -> Problem | None:
    """Check the chain, every checkpoint's root and signature; return the first problem.

    ``entries`` must be in storage order (by sequence); they are streamed, so the whole log
    never needs to be in memory. ``verify_signature(message: bytes, signature: bytes) -> bool``.
    ``head`` is the (seq, hash) the database says is newest, when there is one.
    """
    pending = sorted(checkpoints, key=lambda c: c.tree_size)
    for cp in pending:
        if not verify_signature(checkpoint_text(cp.tree_size, bytes.fromhex(cp.root_hash), cp.signed_at), unb64(cp.signature)):
            return Problem(None, f"checkpoint of size {cp.tree_size} has a bad signature")
    next_cp = 0
    next_size = pending[0].tree_size if pending else -1
    acc = MerkleAccumulator()
    append = acc.append
    sha256 = _sha256
    prev = GENESIS_HASH
    expected_seq = 1
    for entry in entries:
        seq = entry["seq"]
        if seq != expected_seq:
            what = "missing or reordered" if seq > expected_seq else "out of order or inserted"
            return Problem(seq, f"expected sequence {expected_seq}, found {seq} ({what})")
        if sha256(entry["details"].encode()).hexdigest() != entry["change_digest"]:
            return Problem(seq, "details do not match the change digest (edited)")
        if entry["prev_hash"] != prev:
            return Problem(seq, "previous-hash link broken (an entry before it was changed, removed or inserted)")
        digest = sha256(entry_bytes(entry)).digest()
        computed = digest.hex()
        if computed != entry["entry_hash"]:
            return Problem(seq, "entry hash does not match its fields (edited)")
        prev = computed
        append(sha256(b"\x00" + digest).digest())
        while acc.size == next_size:
            if acc.root().hex() != pending[next_cp].root_hash:
                return Problem(seq, f"Merkle root differs from the signed checkpoint of size {acc.size}")
            next_cp += 1
            next_size = pending[next_cp].tree_size if next_cp < len(pending) else -1
        expected_seq += 1
    if next_cp < len(pending):
        return Problem(None, f"a signed checkpoint covers {pending[next_cp].tree_size} entries but the log has {acc.size} (entries deleted)")
    if head is not None and (head[0] != acc.size or (acc.size and head[1] != prev)):
        return Problem(None, f"log head says {head[0]} entries ending in {head[1][:12]}…, found {acc.size} (entries deleted at the end)")
    return None
