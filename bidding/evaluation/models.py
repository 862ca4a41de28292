"""Evaluation on the platform: one row per lot evaluated, its committee, checks, score sheets and signatures.

The scheme is copied from the lot when the evaluation starts, so a later edit of the lot can
never change what the committee scored against. The result and the report are stored as
canonical JSON with their SHA-256, which is what the members sign. A member replaced after
declaring a conflict keeps their rows, marked void (实施条例 第四十八条: a replaced member's
conclusions are void), so the record shows what was set aside and why.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class EvaluationStatus(StrEnum):
    in_progress = "in_progress"  # members check and score
    reporting = "reporting"  # the report is drawn up; members sign it
    signed = "signed"  # every current member signed: handed to the award
    failed = "failed"  # signed, and the lot fails (too few valid bids)


class Evaluation(SQLModel, table=True):
    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("tender_id", "lot_number", name="uq_evaluation_lot"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    draw_id: int = Field(foreign_key="expert_draw.id")
    status: str = Field(max_length=16)
    scheme: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON of Scheme.encoded()
    started_by: int = Field(foreign_key="user_account.id")
    started_at: datetime = timestamp()
    ends_at: datetime = timestamp()
    extended: bool = Field(default=False)  # one extension at most
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # canonical JSON of Result.encoded()
    result_digest: str = Field(default="", max_length=64)
    report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # canonical JSON: what the members sign
    report_digest: str = Field(default="", max_length=64)
    reported_at: datetime | None = timestamp(nullable=True)
    report_key: str = Field(default="", max_length=300)  # the PDF in the object store
    report_sha256: str = Field(default="", max_length=64)
    signed_at: datetime | None = timestamp(nullable=True)
    outcome_reason: str = Field(default="", max_length=500)  # why the lot failed, when it did


class EvaluationMember(SQLModel, table=True):
    """A seat on the committee: a drawn expert (with their invitation) or a purchaser's representative."""

    __tablename__ = "evaluation_member"
    __table_args__ = (UniqueConstraint("evaluation_id", "user_id", name="uq_evaluation_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    expert_id: int | None = Field(default=None, foreign_key="expert.id")  # None: the purchaser's representative
    invitation_id: int | None = Field(default=None, foreign_key="expert_invitation.id")  # None for a representative
    name: str = Field(max_length=100)  # as the report prints it
    specialty: str = Field(default="", max_length=32)
    joined_at: datetime = timestamp()
    signed_in_at: datetime | None = timestamp(nullable=True)
    submitted_at: datetime | None = timestamp(nullable=True)  # their checks and sheets, handed in
    extension_requested_at: datetime | None = timestamp(nullable=True)
    voided_at: datetime | None = timestamp(nullable=True)
    void_reason: str = Field(default="", max_length=500)


class EvaluationCheck(SQLModel, table=True):
    """One member's qualification and compliance check of one bid."""

    __tablename__ = "evaluation_check"
    __table_args__ = (UniqueConstraint("member_id", "bid_id", name="uq_evaluation_check"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    member_id: int = Field(foreign_key="evaluation_member.id")
    bid_id: int = Field(foreign_key="bid.id")
    passed: bool
    reason: str = Field(default="", max_length=500)  # required when it fails
    checked_at: datetime = timestamp()


class EvaluationSheet(SQLModel, table=True):
    """One member's points for one bid on the non-price criteria; private until the member submits."""

    __tablename__ = "evaluation_sheet"
    __table_args__ = (UniqueConstraint("member_id", "bid_id", name="uq_evaluation_sheet"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    member_id: int = Field(foreign_key="evaluation_member.id")
    bid_id: int = Field(foreign_key="bid.id")
    points: str = Field(sa_column=Column(Text, nullable=False))  # JSON: criterion code -> points as a decimal string
    updated_at: datetime = timestamp()
    submitted_at: datetime | None = timestamp(nullable=True)


class EvaluationSignature(SQLModel, table=True):
    """A member's Ed25519 signature over the report's digest and their dissent, if any."""

    __tablename__ = "evaluation_signature"
    __table_args__ = (UniqueConstraint("member_id", "report_digest", name="uq_evaluation_signature"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    member_id: int = Field(foreign_key="evaluation_member.id")
    report_digest: str = Field(max_length=64)
    signature: str = Field(max_length=100)  # base64
    key_id: int = Field(foreign_key="user_public_key.id")
    dissent: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    signed_at: datetime = timestamp()
