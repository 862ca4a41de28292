"""Appending to the audit log, signing checkpoints, and reading proofs.

``record`` is called by every service that changes state, inside the same transaction as
the change: both commit or neither does. The head row is updated first; that UPDATE takes
a row lock (PostgreSQL) or the write lock (SQLite), which serialises appenders until they
commit, so sequence numbers and the hash chain follow commit order exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import SYSTEM_ACTOR_NAME, Actor
from procurement.audit import chain
from procurement.audit.models import (
    AuditCheckpoint,
    AuditEmbargo,
    AuditEntry,
    AuditHead,
)
from procurement.clock import Clock
from procurement.errors import InvalidInput, NotFound
from procurement.keys import PlatformKeys
from procurement.models_base import row_of
from procurement.observability import request_id_var

# The head's two statements, built once: every change on the platform appends an entry.
_ADVANCE_HEAD = (
    update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    .returning(AuditHead.seq, AuditHead.entry_hash, AuditHead.frontier)
    .execution_options(synchronize_session=False)  # no search of the session for copies to update: none is read after
)
_SET_HEAD = (  # parameter names unlike the columns': an UPDATE keeps those for its SET clause
    update(AuditHead).where(AuditHead.id == 1).values(entry_hash=bindparam("new_hash"), frontier=bindparam("new_frontier"))
    .execution_options(synchronize_session=False)  # no search of the session for copies to update: none is read after
)


async def record(
    session: AsyncSession,
    clock: Clock,
    actor: Actor | None,
    action: str,
    *,
    subject_type: str = "",
    subject_id: object = "",
    details: Mapping[str, Any] | None = None,
    organisation_id: int | None = None,
    embargo: str | None = None,
) -> AuditEntry:
    """Append one entry describing a change made in this transaction.

    ``embargo`` keeps the entry out of every read until ``release_embargo(key)``.
    """
    entry, _ = await record_with_proof(
        session, clock, actor, action, subject_type=subject_type, subject_id=subject_id, details=details, organisation_id=organisation_id,
        embargo=embargo,
    )
    return entry


async def record_with_proof(
    session: AsyncSession,
    clock: Clock,
    actor: Actor | None,
    action: str,
    *,
    subject_type: str = "",
    subject_id: object = "",
    details: Mapping[str, Any] | None = None,
    organisation_id: int | None = None,
    embargo: str | None = None,
) -> tuple[AuditEntry, list[bytes]]:
    """``record``, also returning the entry's inclusion path in the tree it completes.

    With ``sign_checkpoint`` in the same transaction, that makes a proof anyone can check
    offline at once (a bid receipt carries one).
    """
    seq, prev_hash, frontier_json = (await session.execute(_ADVANCE_HEAD)).one()
    details_json = chain.canonical_json(dict(details or {}))
    entry = AuditEntry(
        seq=seq,
        # Taken after the lock, so times never run backwards along the chain.
        recorded_at=clock.now(),
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else SYSTEM_ACTOR_NAME,
        organisation_id=organisation_id if organisation_id is not None else (actor.organisation_id if actor else None),
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=details_json,
        change_digest=chain.digest_details(details_json),
        request_id=request_id_var.get(),
        prev_hash=prev_hash,
        entry_hash="",
    )
    entry.entry_hash = chain.entry_hash(entry_fields(entry))
    tree = chain.MerkleAccumulator(seq - 1, [bytes.fromhex(h) for h in json.loads(frontier_json)])
    path = tree.append_with_proof(chain.leaf_hash(entry.entry_hash))
    # Core INSERTs, not the unit of work: an entry is final, and at every change on the platform
    # the flush cost more than the statement. The entry returned is a detached record of the row.
    await session.execute(insert(AuditEntry), [row_of(entry)])
    if embargo is not None:
        await session.execute(insert(AuditEmbargo), [{"seq": seq, "key": embargo}])
    await session.execute(_SET_HEAD, {"new_hash": entry.entry_hash, "new_frontier": _frontier_json(tree)})
    return entry, path


async def release_embargo(session: AsyncSession, clock: Clock, key: str) -> int:
    """Let the entries held under ``key`` be read from now on; returns how many."""
    released = await session.execute(
        update(AuditEmbargo).where(AuditEmbargo.key == key, AuditEmbargo.released_at.is_(None)).values(released_at=clock.now())
    )
    return int(released.rowcount or 0)  # type: ignore[attr-defined]


def _not_embargoed() -> Any:
    held = select(AuditEmbargo.seq).where(AuditEmbargo.released_at.is_(None))
    return AuditEntry.seq.not_in(held)


async def readable_entry(session: AsyncSession, seq: int) -> AuditEntry | None:
    """Entry ``seq``, unless it does not exist or is still under embargo."""
    query = select(AuditEntry).where(AuditEntry.seq == seq, _not_embargoed())
    return (await session.execute(query)).scalar_one_or_none()


def _frontier_json(tree: chain.MerkleAccumulator) -> str:
    return json.dumps([node.hex() for node in tree.frontier])


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": entry.details,
        "change_digest": entry.change_digest,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


async def head(session: AsyncSession) -> tuple[int, str]:
    row = (await session.execute(select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == 1))).one()
    return int(row[0]), row[1]


async def leaf_hashes(session: AsyncSession, size: int) -> list[bytes]:
    hashes = (
        await session.execute(select(AuditEntry.entry_hash).where(AuditEntry.seq <= size).order_by(AuditEntry.seq))
    ).scalars().all()
    return [chain.leaf_hash(h) for h in hashes]


async def checkpoints(session: AsyncSession) -> list[AuditCheckpoint]:
    return list((await session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))).scalars().all())


def checkpoint_record(cp: AuditCheckpoint) -> chain.CheckpointRecord:
    return chain.CheckpointRecord(cp.tree_size, cp.root_hash, cp.signed_at, cp.signature)


async def latest_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    return (
        await session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1))
    ).scalar_one_or_none()


async def sign_checkpoint(session: AsyncSession, clock: Clock, keys: PlatformKeys) -> AuditCheckpoint | None:
    """Sign the tree as it stands, unless the newest checkpoint already covers it.

    The root comes from the head's frontier, so signing costs the same at any log size. The
    head row is locked first: appenders wait, and the root is that of exactly ``size`` entries.
    """
    size, frontier_json = (
        await session.execute(select(AuditHead.seq, AuditHead.frontier).where(AuditHead.id == 1).with_for_update())
    ).one()
    latest = await latest_checkpoint(session)
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return None
    root = chain.MerkleAccumulator(size, [bytes.fromhex(h) for h in json.loads(frontier_json)]).root()
    now = clock.now()
    checkpoint = AuditCheckpoint(
        tree_size=size,
        root_hash=root.hex(),
        signed_at=now,
        key_id=keys.key_id,
        signature=chain.b64(keys.sign(chain.checkpoint_text(size, root, now))),
    )
    session.add(checkpoint)
    await session.flush()
    return checkpoint


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str


async def inclusion_proof(session: AsyncSession, seq: int, tree_size: int | None = None) -> InclusionProof:
    """Proof that entry ``seq`` is in the tree of a signed checkpoint (the newest by default)."""
    if tree_size is None:
        latest = await latest_checkpoint(session)
        if latest is None:
            raise NotFound("no checkpoint has been signed yet; try again after the next one")
        tree_size = latest.tree_size
    else:
        await _checkpoint_of_size(session, tree_size)
    if not 1 <= seq <= tree_size:
        raise InvalidInput.for_field("query.seq", "must be between 1 and the checkpoint's tree size %(size)s", size=tree_size)
    leaves = await leaf_hashes(session, tree_size)
    path = chain.inclusion_proof(seq - 1, leaves)
    return InclusionProof(seq, tree_size, leaves[seq - 1].hex(), [p.hex() for p in path], chain.merkle_root(leaves).hex())


async def consistency_proof(session: AsyncSession, old_size: int, new_size: int) -> list[str]:
    if not 1 <= old_size <= new_size:
        raise InvalidInput.for_field("query.old_size", "must be at least 1 and not larger than new_size")
    await _checkpoint_of_size(session, old_size)
    await _checkpoint_of_size(session, new_size)
    leaves = await leaf_hashes(session, new_size)
    return [p.hex() for p in chain.consistency_proof(old_size, leaves)]


async def _checkpoint_of_size(session: AsyncSession, size: int) -> AuditCheckpoint:
    found = (
        await session.execute(select(AuditCheckpoint).where(AuditCheckpoint.tree_size == size).limit(1))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("no signed checkpoint has tree size %(size)s", size=size)
    return found


@dataclass(frozen=True)
class EntryFilter:
    actor_id: int | None = None
    organisation_id: int | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    before_seq: int | None = None  # keyset pagination: newest first


async def search(session: AsyncSession, flt: EntryFilter) -> tuple[list[AuditEntry], int]:
    conditions = [_not_embargoed()]
    if flt.actor_id is not None:
        conditions.append(AuditEntry.actor_id == flt.actor_id)
    if flt.organisation_id is not None:
        conditions.append(AuditEntry.organisation_id == flt.organisation_id)
    if flt.subject_type:
        conditions.append(AuditEntry.subject_type == flt.subject_type)
    if flt.subject_id:
        conditions.append(AuditEntry.subject_id == flt.subject_id)
    if flt.action:
        # A prefix ("identity.") finds a whole family of actions.
        conditions.append(AuditEntry.action.startswith(flt.action) if flt.action.endswith(".") else AuditEntry.action == flt.action)
    if flt.since is not None:
        conditions.append(AuditEntry.recorded_at >= flt.since)
    if flt.until is not None:
        conditions.append(AuditEntry.recorded_at < flt.until)
    total = (await session.execute(select(func.count()).select_from(AuditEntry).where(*conditions))).scalar_one()
    page = select(AuditEntry).where(*conditions)
    if flt.before_seq is not None:
        page = page.where(AuditEntry.seq < flt.before_seq)
    rows = (await session.execute(page.order_by(AuditEntry.seq.desc()).limit(flt.limit))).scalars().all()
    return list(rows), int(total)
