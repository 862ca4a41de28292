"""Reading the whole log for verification and export: synchronous and streamed.

The CLI verifies logs of millions of entries; a synchronous connection with ``yield_per``
streams rows in batches into the pure checks of ``chain``, with no event loop in the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from procurement.audit import chain
from procurement.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from procurement.audit.service import entry_fields
from procurement.db import sync_url

BATCH = 5000


@contextmanager
def open_log(database_url: str) -> Iterator[Session]:
    engine = create_engine(sync_url(database_url))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == 1)).one()
    return int(row[0]), row[1]


def checkpoints(session: Session) -> list[chain.CheckpointRecord]:
    rows = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)).scalars()
    return [chain.CheckpointRecord(cp.tree_size, cp.root_hash, cp.signed_at, cp.signature) for cp in rows]


def entries(session: Session) -> Iterator[dict[str, Any]]:
    result = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=BATCH))
    for entry in result.scalars():
        yield entry_fields(entry)
        session.expunge(entry)  # keep memory flat over a long log
