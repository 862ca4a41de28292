"""Sealed bids: uploads in progress, submitted bids with their receipts, and each lot's tally at the deadline.

The platform stores ciphertext only. A bid is an envelope (``docs/envelope.md``) kept as
the parts it was uploaded in; it becomes a submission only when the upload is complete and
checked, in one transaction with its audit entry and receipt.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class UploadState(StrEnum):
    open = "open"  # parts may arrive
    completed = "completed"  # became a bid
    abandoned = "abandoned"  # not completed by the deadline, or refused at completion


class BidUpload(SQLModel, table=True):
    """An envelope arriving in parts, so that a large bid survives a slow or broken link."""

    __tablename__ = "bid_upload"

    id: str = Field(primary_key=True, max_length=32)  # random, unguessable: it names the upload in URLs
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    bid_version: int
    declared_size: int = Field(sa_type=BigInteger)
    state: str = Field(max_length=16)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    # Where the upload came from, for the supervisors' risk rules (docs/supervision.md): the
    # client's address, and "X-Client-Fingerprint | User-Agent" as the client sent them.
    client_ip: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    client_fingerprint: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})


class BidUploadPart(SQLModel, table=True):
    __tablename__ = "bid_upload_part"
    __table_args__ = (UniqueConstraint("upload_id", "number", name="uq_bid_upload_part_number"),)

    id: int | None = Field(default=None, primary_key=True)
    upload_id: str = Field(foreign_key="bid_upload.id", index=True, max_length=32)
    number: int  # 1, 2, ... in envelope order
    object_key: str = Field(max_length=300, unique=True)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    received_at: datetime = timestamp()


class BidStatus(StrEnum):
    submitted = "submitted"  # the organisation's current bid for the lot
    superseded = "superseded"  # replaced by a later version before the deadline
    withdrawn = "withdrawn"  # withdrawn by the bidder before the deadline
    opened = "opened"
    open_failed = "open_failed"


class Bid(SQLModel, table=True):
    __tablename__ = "bid"
    __table_args__ = (
        UniqueConstraint("tender_id", "lot_number", "organisation_id", "version", name="uq_bid_version"),
        Index("ix_bid_lot_status", "tender_id", "lot_number", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id")
    lot_number: int
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    version: int
    status: str = Field(max_length=16)
    upload_id: str = Field(foreign_key="bid_upload.id", max_length=32, unique=True)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)  # plain SHA-256 of the envelope bytes (server side)
    envelope_digest: str = Field(max_length=64)  # the format's chained digest, which the bidder signed
    signature: str = Field(max_length=100)  # the bidder's Ed25519 signature, base64
    signing_key_id: int = Field(foreign_key="user_public_key.id")
    recipient_key_ids: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of key fingerprints
    submitted_by: int = Field(foreign_key="user_account.id")
    submitted_at: datetime = timestamp()
    withdrawn_at: datetime | None = timestamp(nullable=True)
    audit_seq: int = Field(sa_type=BigInteger)
    receipt: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, signed below
    receipt_signature: str = Field(max_length=100)  # platform Ed25519, base64
    # At the opening: the content key the bidder released (no key to it exists before), what
    # the envelope said, or why it could not be opened.
    content_key: str | None = Field(default=None, max_length=64)  # base64
    opened_at: datetime | None = timestamp(nullable=True)
    opening_fields: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON: price and the rest
    open_failure: str = Field(default="", max_length=500)
    # Whose failure it was: the bidder's own (not released, sealed wrongly) counts as revoked;
    # any other (storage) as withdrawn.
    failure_party: str = Field(default="", max_length=16)  # bidder | platform


class LotTally(SQLModel, table=True):
    """Each lot's bids counted at the deadline, and what followed: to the opening, or failed."""

    __tablename__ = "bid_lot_tally"
    __table_args__ = (UniqueConstraint("tender_id", "lot_number", name="uq_bid_lot_tally"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    bids: int
    needed: int
    outcome: str = Field(max_length=16)  # to_opening | failed
    counted_at: datetime = timestamp()


class Opening(SQLModel, table=True):
    """The remote opening (开标) of a tender: bidders release their content keys within a window."""

    __tablename__ = "bid_opening"

    tender_id: int = Field(primary_key=True, foreign_key="tender.id")
    started_by: int = Field(foreign_key="user_account.id")
    started_at: datetime = timestamp()
    release_until: datetime = timestamp()
    closed_at: datetime | None = timestamp(nullable=True)
    next_check: datetime | None = timestamp(nullable=True, index=True)


class OpeningAttendance(SQLModel, table=True):
    """A bidder present in the online opening room (bidders see who is there)."""

    __tablename__ = "bid_opening_attendance"
    __table_args__ = (UniqueConstraint("tender_id", "organisation_id", name="uq_bid_opening_attendance"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="user_account.id")
    joined_at: datetime = timestamp()


class OpeningResponse(SQLModel, table=True):
    """A bidder's confirmation of the opening record, or its objection (异议) and the answer."""

    __tablename__ = "bid_opening_response"

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    user_id: int = Field(foreign_key="user_account.id")
    kind: str = Field(max_length=16)  # confirmed | objection
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    made_at: datetime = timestamp()
    answer: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    answered_by: int | None = Field(default=None, foreign_key="user_account.id")
    answered_at: datetime | None = timestamp(nullable=True)
