"""Audit API output."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CheckpointPublic(BaseModel):
    tree_size: int = Field(examples=[1024])
    root_hash: str = Field(description="hex SHA-256 Merkle root (RFC 9162)", examples=["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"])
    signed_at: datetime = Field(examples=["2026-11-27T08:05:00Z"])
    key_id: str = Field(examples=["3b9f0c2a7d41e855"])
    signature: str = Field(description="base64 Ed25519 signature over the checkpoint text (docs/audit-log.md)", examples=["kX5…=="])
    signed_text: str = Field(
        description="the exact text that was signed",
        examples=["procurement-audit-log/v1\n1024\nah8LPJ0uT1prfI2eDxorPE1ebzCBkqO0xdbn+AkaKzw=\n2026-11-27T08:05:00.000000Z\n"],
    )


class InclusionProofPublic(BaseModel):
    seq: int = Field(examples=[17])
    tree_size: int = Field(examples=[1024])
    leaf_hash: str = Field(examples=["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"])
    path: list[str] = Field(description="sibling hashes from the leaf up (hex)", examples=[["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"]])
    root_hash: str = Field(examples=["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"])


class ConsistencyProofPublic(BaseModel):
    old_size: int = Field(examples=[512])
    new_size: int = Field(examples=[1024])
    path: list[str] = Field(examples=[["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"]])


class EntryPublic(BaseModel):
    seq: int = Field(examples=[17])
    recorded_at: datetime = Field(examples=["2026-11-27T08:01:02.123456Z"])
    actor_id: int | None = Field(examples=[4])
    actor_name: str = Field(examples=["purchaser"])
    organisation_id: int | None = Field(examples=[3])
    action: str = Field(examples=["identity.login"])
    subject_type: str = Field(examples=["user"])
    subject_id: str = Field(examples=["4"])
    details: dict[str, Any] = Field(examples=[{"kind": "bearer"}])
    change_digest: str = Field(examples=["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"])
    request_id: str = Field(examples=["0f5c2b8e9a7d4c1e8b6a5f4e3d2c1b0a"])
    prev_hash: str = Field(examples=["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"])
    entry_hash: str = Field(examples=["6a1f0b3c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"])


class EntryPage(BaseModel):
    total: int = Field(examples=[1])
    entries: list[EntryPublic]
    next_before_seq: int | None = Field(description="pass as before_seq for the next (older) page")
