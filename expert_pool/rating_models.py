"""Ratings of experts after the evaluation: one 100-point score with a comment per draw, expert and rating side.

The sides are the tender's purchaser and the supervisors: each rates every expert who sat on the
committee once (the unique constraint holds it also under concurrent requests).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class RaterSide(StrEnum):
    purchaser = "purchaser"
    supervisor = "supervisor"


class ExpertRating(SQLModel, table=True):
    __tablename__ = "expert_rating"
    __table_args__ = (UniqueConstraint("draw_id", "expert_id", "side", name="uq_expert_rating_draw_expert_side"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="expert_draw.id", index=True)
    expert_id: int = Field(foreign_key="expert.id", index=True)
    tender_id: int = Field(foreign_key="tender.id")
    side: str = Field(max_length=16)
    organisation_id: int = Field(foreign_key="organisation.id")  # the rater's organisation
    rated_by: int = Field(foreign_key="user_account.id")
    score: int  # 0..100
    comment: str = Field(sa_column=Column(Text, nullable=False))
    rated_at: datetime = timestamp()
