"""Invitations of drawn experts: one per (draw, expert), with its answer and the check-in.

The one-time link's token is never stored: only its SHA-256 (``token_hash``); the token itself
travels only in the outbox message to the expert.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class InvitationStatus(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    no_answer = "no_answer"  # the answer time passed: treated as a decline
    conflict_declared = "conflict_declared"  # at check-in: replaced, anything done is void [实施条例 第四十八条]
    withdrawn = "withdrawn"  # accepted, then declined before checking in


# Statuses that gave the seat up: each one caused a supplementary draw (or left the seat unfilled).
ENDED = frozenset({InvitationStatus.declined, InvitationStatus.no_answer, InvitationStatus.conflict_declared,
                   InvitationStatus.withdrawn})


class ExpertInvitation(SQLModel, table=True):
    __tablename__ = "expert_invitation"
    __table_args__ = (UniqueConstraint("draw_id", "expert_id", name="uq_expert_invitation_draw_expert"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="expert_draw.id", index=True)
    expert_id: int = Field(foreign_key="expert.id", index=True)
    specialty: str = Field(max_length=32)
    round: int  # the draw round the seat came from
    status: str = Field(default=InvitationStatus.invited, max_length=20, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    answer_by: datetime = timestamp(index=True)
    answered_at: datetime | None = timestamp(nullable=True)
    reason: str = Field(default="", max_length=500)  # why declined or withdrawn
    checked_in_at: datetime | None = timestamp(nullable=True)
    conflict_detail: str = Field(default="", max_length=1000)
    created_at: datetime = timestamp(index=True)
