"""Expert draws: what was asked, the pool as it stood, the committed seed and the outcome.

One row per draw. The snapshot, the request and the outcome are stored in their canonical
encodings (docs/expert-draw.md §2), byte for byte, so verification re-reads exactly what the
draw read. The seed is kept here, secret, until it is revealed: its SHA-256 is in the audit
log from before the draw, so any later change to this column is detectable.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class ExpertDraw(SQLModel, table=True):
    __tablename__ = "expert_draw"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int | None = Field(default=None)  # None: the whole tender
    evaluation_date: date
    requested_by: int = Field(foreign_key="user_account.id")
    organisation_id: int = Field(foreign_key="organisation.id")  # the organisation running the tender
    created_at: datetime = timestamp()
    request: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON of DrawRequest.encoded()
    snapshot: str = Field(sa_column=Column(Text, nullable=False))  # PoolSnapshot.canonical_bytes(), UTF-8
    outcome: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON of DrawOutcome.encoded()
    seed: str = Field(max_length=64)  # hex; secret until revealed, never sent before
    seed_commitment: str = Field(max_length=64)
    snapshot_digest: str = Field(max_length=64)
    request_digest: str = Field(max_length=64)
    committed_seq: int = Field(sa_type=BigInteger)  # the audit entry holding the commitment
    revealed_at: datetime | None = timestamp(nullable=True)
