"""The tender's opening key: its public half, and the custodians' Shamir shares of the private half.

The private key itself is never stored: it exists in memory while it is split at creation,
and again, rebuilt from released shares, while it opens bids at the close of the opening.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class TenderOpeningKey(SQLModel, table=True):
    """Bidders seal to ``public_key`` as well as to their own key; k of the n custodians can open."""

    __tablename__ = "tender_opening_key"

    tender_id: int = Field(primary_key=True, foreign_key="tender.id")
    public_key: str = Field(max_length=64)  # raw 32-byte X25519 public key, base64
    fingerprint: str = Field(max_length=64)  # SHA-256 of the raw public key, hex: the envelope's key_id
    threshold: int  # k
    custodian_count: int  # n
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = timestamp()
    rebuilt_at: datetime | None = timestamp(nullable=True)  # when the k-th valid share arrived


class OpeningKeyShare(SQLModel, table=True):
    """One custodian's share, wrapped to its X25519 key; the share itself only once released."""

    __tablename__ = "opening_key_share"
    __table_args__ = (
        UniqueConstraint("tender_id", "x", name="uq_opening_key_share_x"),
        UniqueConstraint("tender_id", "custodian_user_id", name="uq_opening_key_share_custodian"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    custodian_user_id: int = Field(foreign_key="user_account.id", index=True)
    custodian_key_id: int = Field(foreign_key="user_public_key.id")
    custodian_fingerprint: str = Field(max_length=64)  # hex; bound into the wrap's associated data
    x: int  # the share's x coordinate, 1 … 255
    wrapped_share: str = Field(max_length=128)  # base64: ephemeral public key (32) ‖ AES-GCM ciphertext and tag (48)
    commitment: str = Field(max_length=64)  # hex SHA-256 over tender, x and share: a wrong share is refused at once
    released_share: str | None = Field(default=None, max_length=64)  # base64, after the deadline only
    released_at: datetime | None = timestamp(nullable=True)
