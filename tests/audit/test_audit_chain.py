"""Property tests of the pure chain rules: byte layout, Merkle proofs, tamper detection."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procurement.audit import chain

texts = st.text(max_size=40)
optional_ids = st.one_of(st.none(), st.integers(min_value=1, max_value=2**31 - 1))


def reference_entry_bytes(entry: dict) -> bytes:
    """docs/audit-log.md, literally: a netstring of each field's UTF-8 bytes."""
    out = chain.ENTRY_DOMAIN
    for name in chain.ENTRY_FIELDS:
        value = entry[name]
        raw = b"" if value is None else (chain.format_time(value) if isinstance(value, datetime) else str(value)).encode()
        out += str(len(raw)).encode() + b":" + raw + b","
    return out


entries = st.fixed_dictionaries(
    {
        "seq": st.integers(min_value=1, max_value=2**63 - 1),
        "recorded_at": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
        "actor_id": optional_ids,
        "actor_name": texts,
        "organisation_id": optional_ids,
        "action": texts,
        "subject_type": texts,
        "subject_id": texts,
        "change_digest": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
        "request_id": texts,
        "prev_hash": st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    }
)


@given(entries)
def test_entry_bytes_follow_the_documented_layout(entry: dict) -> None:
    assert chain.entry_bytes(entry) == reference_entry_bytes(entry)


@given(entries, st.sampled_from([f for f in chain.ENTRY_FIELDS if f not in ("seq", "recorded_at")]), texts)
def test_changing_any_text_field_changes_the_hash(entry: dict, field: str, other: str) -> None:
    changed = {**entry, field: other}
    if str(entry[field] if entry[field] is not None else "") != other:
        assert chain.entry_hash(changed) != chain.entry_hash(entry)


def _log(count: int) -> list[dict]:
    out, prev = [], chain.GENESIS_HASH
    for seq in range(1, count + 1):
        details = chain.canonical_json({"n": seq, "名称": "测试"})
        entry = {
            "seq": seq, "recorded_at": datetime(2026, 1, 1, tzinfo=UTC), "actor_id": None, "actor_name": "system",
            "organisation_id": None, "action": "test.x", "subject_type": "", "subject_id": str(seq), "details": details,
            "change_digest": chain.digest_details(details), "request_id": "", "prev_hash": prev,
        }
        entry["entry_hash"] = chain.entry_hash(entry)
        prev = entry["entry_hash"]
        out.append(entry)
    return out


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=40), st.data())
def test_any_single_field_edit_anywhere_is_found(count: int, data: st.DataObject) -> None:
    log = _log(count)
    assert chain.verify_log(log, [], lambda m, s: True) is None
    index = data.draw(st.integers(min_value=0, max_value=count - 1))
    field = data.draw(st.sampled_from(["actor_name", "action", "subject_id", "details", "request_id", "entry_hash", "prev_hash"]))
    log[index] = {**log[index], field: log[index][field] + "x"}
    problem = chain.verify_log(log, [], lambda m, s: True)
    assert problem is not None and problem.seq in (index + 1, index + 2)


@settings(max_examples=60)
@given(st.integers(min_value=2, max_value=40), st.data())
def test_dropping_or_swapping_entries_is_found(count: int, data: st.DataObject) -> None:
    log = _log(count)
    i = data.draw(st.integers(min_value=0, max_value=count - 2))
    swapped = [*log[:i], log[i + 1], log[i], *log[i + 2 :]]
    assert chain.verify_log(swapped, [], lambda m, s: True) is not None
    dropped = [e for k, e in enumerate(log) if k != i]
    assert chain.verify_log(dropped, [], lambda m, s: True) is not None


@given(st.integers(min_value=1, max_value=64), st.data())
def test_inclusion_and_consistency_proofs_verify(size: int, data: st.DataObject) -> None:
    leaves = [chain.leaf_hash(e["entry_hash"]) for e in _log(size)]
    root = chain.merkle_root(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    assert chain.verify_inclusion(index, size, leaves[index], chain.inclusion_proof(index, leaves), root)
    old = data.draw(st.integers(min_value=1, max_value=size))
    proof = chain.consistency_proof(old, leaves)
    assert chain.verify_consistency(old, size, chain.merkle_root(leaves[:old]), root, proof)
    if old < size:
        assert not chain.verify_consistency(old, size, chain.merkle_root(leaves[1 : old + 1]), root, proof)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=1, max_value=300))
def test_the_newest_leaf_proof_comes_from_the_frontier(size: int) -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(size)]
    tree = chain.MerkleAccumulator()
    for leaf in leaves[:-1]:
        tree.append(leaf)
    # Resuming from a stored frontier is the same as having appended everything.
    resumed = chain.MerkleAccumulator(tree.size, tree.frontier)
    path = resumed.append_with_proof(leaves[-1])
    root = chain.merkle_root(leaves)
    assert resumed.root() == root
    assert path == chain.inclusion_proof(size - 1, leaves)
    assert chain.verify_inclusion(size - 1, size, leaves[-1], path, root)


def test_a_frontier_must_match_its_size() -> None:
    with pytest.raises(ValueError, match="one perfect subtree root per 1 bit"):
        chain.MerkleAccumulator(3, [b"\x00" * 32])
