"""The outbox table: one row per message to send (SMS, voice call, email).

A row is written in the same transaction as the change that causes it, so a rolled-back
change sends nothing. It holds names and tenders (an invitation says who was drawn for
what): no API route reads this table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class Channel(StrEnum):
    sms = "sms"
    voice = "voice"
    email = "email"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=8)
    recipient: str = Field(max_length=254)  # a phone number or an email address
    subject: str = Field(default="", max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    reference: str = Field(max_length=64, index=True)  # what caused it, e.g. "invitation:12"
    created_at: datetime = timestamp()
    # When the delivery job tries next; None: sent, given up, or waiting for a gateway to read it.
    # While a delivery round holds the message, the end of its claim (service.CLAIM_LEASE).
    next_attempt_at: datetime | None = timestamp(nullable=True, index=True)
    # The delivery round sending the message now ("host:pid#round") and since when; None: nobody.
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = timestamp(nullable=True)
    sent_at: datetime | None = timestamp(nullable=True)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
