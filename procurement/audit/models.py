"""The audit log's tables.

Entries are only ever inserted; migrations install database triggers that refuse UPDATE
and DELETE, and no code path issues either. ``audit_head`` holds the newest sequence number
and hash: appending updates it first, which takes a row lock that orders concurrent writers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    recorded_at: datetime = timestamp(index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=64)
    organisation_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(default="", max_length=64, index=True)
    subject_id: str = Field(default="", max_length=64, index=True)
    details: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    change_digest: str = Field(max_length=64)
    request_id: str = Field(default="", max_length=64)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
    entry_hash: str = Field(max_length=64)
    # The Merkle tree's frontier (perfect subtree roots, largest first, hex, JSON): lets a
    # checkpoint be signed, and the newest entry's inclusion proof be given, without
    # reading the log.
    frontier: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the Merkle tree's size and root at a moment."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    tree_size: int = Field(sa_type=BigInteger, index=True)
    root_hash: str = Field(max_length=64)
    signed_at: datetime = timestamp()
    key_id: str = Field(max_length=64)
    signature: str = Field(max_length=128)  # base64 Ed25519 signature of the checkpoint text


class AuditEmbargo(SQLModel, table=True):
    """An entry whose existence must not be seen yet (a sealed bid before bidding closes).

    The entry is in the chain and the tree from the start, so nothing about integrity
    changes; the entry search and reads skip it until its key is released.
    """

    __tablename__ = "audit_embargo"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    key: str = Field(max_length=64, index=True)  # e.g. "tender:12:bids"
    released_at: datetime | None = timestamp(nullable=True)
