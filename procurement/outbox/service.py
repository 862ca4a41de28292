"""Writing to the outbox and delivering from it.

``enqueue`` adds a message inside the caller's transaction (it commits with the change that
caused it, or not at all). ``attempt`` hands one pending message to the adapter for its
channel: an ``Adapter`` delivers or raises. Failures are retried with a doubling delay
(1 minute up to 1 hour) and given up after ``MAX_ATTEMPTS``, the error kept on the row.

Adapters come from the settings (``adapters_for``): email through SMTP when ``smtp_host`` is
set. SMS and voice gateways are outside this machine: with no adapter for its channel a
message is parked (``next_attempt_at`` None, ``sent_at`` None) for a gateway to read from the
table. Delivery is at least once: a message sent just before its transaction fails to commit
is sent again.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import Clock, as_utc
from procurement.outbox.models import Channel, OutboxMessage
from procurement.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# The delivery runs inside the job's transaction (on SQLite, holding the write lock): a dead
# mail server must not hold it for long.
SMTP_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Outgoing:
    """What an adapter is given: plain values, safe to hand to a worker thread."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    reference: str


class Adapter(Protocol):
    def deliver(self, message: Outgoing) -> None:
        """Send the message, or raise: the outbox retries later."""


@dataclass(frozen=True)
class SmtpAdapter:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False

    def deliver(self, message: Outgoing) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


def adapters_for(settings: Settings) -> dict[str, Adapter]:
    if not settings.smtp_host:
        return {}
    sender = settings.smtp_from or f"noreply@{settings.smtp_host}"
    return {Channel.email: SmtpAdapter(settings.smtp_host, settings.smtp_port, sender, settings.smtp_username,
                                       settings.smtp_password, settings.smtp_starttls)}


async def enqueue(session: AsyncSession, clock: Clock, *, channel: Channel, recipient: str, body: str, reference: str,
                  subject: str = "") -> OutboxMessage:
    now = clock.now()
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body, reference=reference,
                            created_at=now, next_attempt_at=now)
    session.add(message)
    await session.flush()
    return message


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


async def due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.next_attempt_at).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at.is_not(None),  # type: ignore[union-attr]
            OutboxMessage.next_attempt_at <= moment,  # type: ignore[operator]
        )
    )
    return [(str(message_id), as_utc(at)) for message_id, at in rows]


async def attempt(session: AsyncSession, clock: Clock, message_id: int, adapters: Mapping[str, Adapter]) -> bool:
    """Try to deliver one message once; returns whether the row changed."""
    message = await session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.sent_at is not None or message.next_attempt_at is None:
        return False
    adapter = adapters.get(message.channel)
    if adapter is None:
        message.next_attempt_at = None  # parked for a gateway that reads the table
    else:
        outgoing = Outgoing(message.id, message.channel, message.recipient, message.subject, message.body, message.reference)  # type: ignore[arg-type]
        message.attempts += 1
        try:
            await asyncio.to_thread(adapter.deliver, outgoing)
        except Exception as error:
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            message.next_attempt_at = clock.now() + retry_delay(message.attempts) if message.attempts < MAX_ATTEMPTS else None
            log.warning("outbox message %s (%s) failed, attempt %s: %s", message.id, message.channel, message.attempts, message.last_error)
        else:
            message.sent_at, message.next_attempt_at, message.last_error = clock.now(), None, ""
    session.add(message)
    await session.flush()
    return True
