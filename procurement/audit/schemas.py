"""Audit API output."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CheckpointPublic(BaseModel):
    tree_size: int
    root_hash: str = Field(description="hex SHA-256 Merkle root (RFC 9162)")
    signed_at: datetime
    key_id: str
    signature: str = Field(description="base64 Ed25519 signature over the checkpoint text (docs/audit-log.md)")
    signed_text: str = Field(description="the exact text that was signed")


class InclusionProofPublic(BaseModel):
    seq: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str


class ConsistencyProofPublic(BaseModel):
    old_size: int
    new_size: int
    path: list[str]


class EntryPublic(BaseModel):
    seq: int
    recorded_at: datetime
    actor_id: int | None
    actor_name: str
    organisation_id: int | None
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, Any]
    change_digest: str
    request_id: str
    prev_hash: str
    entry_hash: str


class EntryPage(BaseModel):
    total: int
    entries: list[EntryPublic]
    next_before_seq: int | None = Field(description="pass as before_seq for the next (older) page")
