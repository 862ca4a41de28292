"""Audit API: checkpoints and proofs for anyone; the entries themselves for supervisors."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromQuery, PathParameter, QueryParameter

from procurement.audit import chain, schemas
from procurement.audit import service as audit
from procurement.audit.models import AuditCheckpoint, AuditEntry
from procurement.errors import NotFound
from procurement.identity.models import Role
from procurement.web.deps import MAX_ID, MAX_SEQ, DbSession
from procurement.web.guards import requires_roles
from procurement.web.public_cache import PublicCache


def checkpoint_public(cp: AuditCheckpoint) -> schemas.CheckpointPublic:
    return schemas.CheckpointPublic(
        tree_size=cp.tree_size,
        root_hash=cp.root_hash,
        signed_at=cp.signed_at,
        key_id=cp.key_id,
        signature=cp.signature,
        signed_text=chain.checkpoint_text(cp.tree_size, bytes.fromhex(cp.root_hash), cp.signed_at).decode(),
    )


def entry_public(entry: AuditEntry) -> schemas.EntryPublic:
    return schemas.EntryPublic(**{**audit.entry_fields(entry), "details": json.loads(entry.details)})


class AuditProofController(Controller):
    path = "/api/audit"
    tags = ["Audit"]

    @get(
        "/checkpoints/latest",
        summary="The newest signed checkpoint (tree size, Merkle root, time, signature)",
        description="Served from each process's memory for `PROCUREMENT_PUBLIC_CACHE_SECONDS` (default 5 s).",
    )
    async def latest(self, session: DbSession, state: State) -> Response[schemas.CheckpointPublic]:
        cache: PublicCache = state.public_cache

        async def load() -> schemas.CheckpointPublic | None:
            cp = await audit.latest_checkpoint(session)
            return checkpoint_public(cp) if cp else None

        latest = await cache.get("audit:latest-checkpoint", load)
        if latest is None:
            raise NotFound("no checkpoint has been signed yet")
        return Response(latest, headers={"Cache-Control": cache.cache_control()})

    @get(
        "/proofs/inclusion",
        summary="Inclusion proof of an entry in a signed checkpoint",
        description="Reveals hashes only. Verify with RFC 9162 §2.1.3.2 against the checkpoint's root.",
    )
    async def inclusion(
        self,
        session: DbSession,
        seq: Annotated[int, QueryParameter(ge=1, le=MAX_SEQ, description="the entry's sequence number")],
        tree_size: Annotated[int | None, QueryParameter(ge=1, le=MAX_SEQ, description="a signed checkpoint's size; newest if omitted")] = None,
    ) -> schemas.InclusionProofPublic:
        proof = await audit.inclusion_proof(session, seq, tree_size)
        return schemas.InclusionProofPublic(**proof.__dict__)

    @get("/proofs/consistency", summary="Consistency proof between two signed checkpoints (RFC 9162 §2.1.4)")
    async def consistency(
        self,
        session: DbSession,
        old_size: Annotated[int, QueryParameter(ge=1, le=MAX_SEQ)],
        new_size: Annotated[int, QueryParameter(ge=1, le=MAX_SEQ)],
    ) -> schemas.ConsistencyProofPublic:
        path = await audit.consistency_proof(session, old_size, new_size)
        return schemas.ConsistencyProofPublic(old_size=old_size, new_size=new_size, path=path)


class AuditEntryController(Controller):
    path = "/api/audit/entries"
    tags = ["Audit"]
    guards = [requires_roles(Role.supervisor)]

    @get(summary="Search the audit log (supervisors), newest first")
    async def search(
        self,
        session: DbSession,
        actor_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        organisation_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        subject_type: Annotated[str | None, QueryParameter(max_length=64)] = None,
        subject_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        action: Annotated[str | None, QueryParameter(max_length=64, description="exact, or a prefix ending in '.'")] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        before_seq: Annotated[int | None, QueryParameter(ge=1, le=MAX_SEQ)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> schemas.EntryPage:
        flt = audit.EntryFilter(actor_id, organisation_id, subject_type, subject_id, action, since, until, limit, before_seq)
        rows, total = await audit.search(session, flt)
        return schemas.EntryPage(
            total=total,
            entries=[entry_public(e) for e in rows],
            next_before_seq=rows[-1].seq if len(rows) == limit else None,
        )

    @get("/{seq:int}", summary="One audit entry (supervisors)")
    async def one(self, session: DbSession, seq: Annotated[int, PathParameter(ge=1, le=MAX_SEQ)]) -> schemas.EntryPublic:
        entry = await audit.readable_entry(session, seq)
        if entry is None:
            raise NotFound("no audit entry %(seq)s", seq=seq)
        return entry_public(entry)
