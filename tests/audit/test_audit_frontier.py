"""The head's Merkle frontier: checkpoints from it, proofs of the newest entry, and its migration."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, text

from procurement.audit import chain
from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from procurement.db import sync_url
from procurement.migrate import upgrade


async def _leaves(session) -> list[bytes]:
    hashes = (await session.execute(select(AuditEntry.entry_hash).order_by(AuditEntry.seq))).scalars()
    return [chain.leaf_hash(h) for h in hashes]


async def test_each_append_gives_a_proof_that_a_checkpoint_signed_now_verifies(platform) -> None:
    for n in range(1, 12):
        async with platform.db.transaction() as session:
            entry, path = await audit.record_with_proof(session, platform.clock, None, "test.appended", details={"n": n})
            checkpoint = await audit.sign_checkpoint(session, platform.clock, platform.keys)
            leaves = await _leaves(session)
        assert checkpoint is not None and checkpoint.tree_size == entry.seq == len(leaves)
        # The root signed from the frontier is the root of every entry so far.
        assert bytes.fromhex(checkpoint.root_hash) == chain.merkle_root(leaves)
        assert chain.verify_inclusion(entry.seq - 1, checkpoint.tree_size, chain.leaf_hash(entry.entry_hash), path,
                                      bytes.fromhex(checkpoint.root_hash))
        signed = chain.checkpoint_text(checkpoint.tree_size, bytes.fromhex(checkpoint.root_hash), checkpoint.signed_at)
        platform.keys.public_key.verify(chain.unb64(checkpoint.signature), signed)  # raises if it does not verify


def test_the_migration_computes_the_frontier_of_an_existing_log(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008_search_perf")
    engine = create_engine(sync_url(url))
    hashes = [chain.entry_hash({
        "seq": i, "recorded_at": "2026-01-01T00:00:00.000000Z", "actor_id": None, "actor_name": "system", "organisation_id": None,
        "action": "test", "subject_type": "", "subject_id": "", "change_digest": "", "request_id": "", "prev_hash": "0" * 64,
    }) for i in range(1, 14)]
    with engine.begin() as conn:
        for seq, entry_hash in enumerate(hashes, start=1):
            conn.execute(text(
                "INSERT INTO audit_entry (seq, recorded_at, actor_name, action, subject_type, subject_id, details, change_digest, "
                "request_id, prev_hash, entry_hash) VALUES (:seq, '2026-01-01', 'system', 'test', '', '', '{}', '', '', :prev, :hash)"
            ), {"seq": seq, "prev": "0" * 64, "hash": entry_hash})
    engine.dispose()
    upgrade(url)
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        frontier = conn.execute(text("SELECT frontier FROM audit_head")).scalar_one()
    engine.dispose()
    tree = chain.MerkleAccumulator()
    for entry_hash in hashes:
        tree.append(chain.leaf_hash(entry_hash))
    assert frontier == "[" + ", ".join(f'"{node.hex()}"' for node in tree.frontier) + "]"
