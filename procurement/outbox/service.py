"""Writing to the outbox and delivering from it.

``enqueue`` adds a message inside the caller's transaction (it commits with the change that
caused it, or not at all). ``deliver_due`` delivers what is due, a batch at a time, in three
steps, so that no transaction is open while an outside server takes its time (on SQLite an
open write transaction holds the database's only write lock):

1. Claim, in one short transaction: up to ``CLAIM_BATCH`` due messages get the round's name
   and the time in ``claimed_by`` / ``claimed_at``, one more attempt counted, and their
   ``next_attempt_at`` moved to the end of the claim (``CLAIM_LEASE``). PostgreSQL reads them
   ``FOR UPDATE SKIP LOCKED``, so two schedulers claiming at once take different messages;
   SQLite lets one write transaction in at a time, which does the same.
2. Send, outside any transaction, each message through the adapter for its channel (an
   ``Adapter`` delivers or raises).
3. Record each result in its own short transaction, if the claim is still the round's: sent;
   failed, retried after a doubling delay (1 minute up to 1 hour); or given up after
   ``MAX_ATTEMPTS``, the error kept on the row.

A round that stops between claim and record (the process dies, the database goes away) leaves
its messages claimed; when the claim ends they are due again and the next round sends them.
So delivery is at least once: a message may go out twice, never zero times without a trace.
That is the right promise for invitations: a lost one costs a committee seat and a
supplementary draw, a second copy costs the expert a glance. A copy is the same message: the
same text with the same one-time link (an invitation is answered once; a second answer is
refused), and an email keeps the ``Message-ID`` naming its outbox row, by which mail programs
drop a duplicate. A gateway adapter can pass ``Outgoing.id`` as its provider's client message id.

Adapters come from the settings (``adapters_for``): email through SMTP when ``smtp_host`` is
set. SMS and voice gateways are outside this machine: with no adapter for its channel a
message is parked (``next_attempt_at`` None, ``sent_at`` None) for a gateway to read from the
table.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import smtplib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import Clock, as_utc
from procurement.outbox.models import Channel, OutboxMessage
from procurement.platform import Platform
from procurement.scheduler.lease import holder_name
from procurement.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# Per network operation: a dead mail server must not hold up the rest of the batch for long.
SMTP_TIMEOUT_SECONDS = 10
CLAIM_BATCH = 10
# How long a round holds what it claimed: far longer than a batch takes to send. A round sends
# nothing on a claim with less than SEND_ALLOWANCE left, so no other round has taken it meanwhile.
CLAIM_LEASE = timedelta(minutes=5)
SEND_ALLOWANCE = timedelta(minutes=1)
# A round takes no new batch after this long: the scheduler's sweep it runs in has other work;
# what is left is the next round's.
ROUND_SECONDS = 30.0


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
        # The same on every attempt: a second copy (at-least-once delivery) is recognisably the first.
        email["Message-ID"] = f"<outbox-{message.id}@{self.sender.rpartition('@')[2] or self.host}>"
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


def _due_by(moment: datetime) -> ColumnElement[bool]:
    # A claim that ended unrecorded is due again: its next_attempt_at is the claim's end.
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= moment)  # type: ignore[union-attr, operator]


async def due(session: AsyncSession, moment: datetime) -> list[tuple[str, datetime]]:
    """When the scheduler should run a round: one timer, at the earliest due message."""
    earliest = (await session.execute(select(func.min(OutboxMessage.next_attempt_at)).where(_due_by(moment)))).scalar_one()
    return [] if earliest is None else [("queue", as_utc(earliest))]


@dataclass(frozen=True)
class Claim:
    owner: str  # the round's name in claimed_by
    at: datetime
    messages: list[Outgoing]

    @property
    def until(self) -> datetime:
        return self.at + CLAIM_LEASE


def _release(message: OutboxMessage) -> None:
    message.claimed_by, message.claimed_at = None, None


async def claim(platform: Platform, adapters: Mapping[str, Adapter], owner: str, *, limit: int = CLAIM_BATCH) -> Claim | None:
    """Take up to ``limit`` due messages for the round ``owner``, in one short transaction; None when none was due.

    Messages without an adapter for their channel are parked instead of taken.
    """
    async with platform.db.transaction() as session:
        now = platform.clock.now()
        rows = (await session.execute(
            select(OutboxMessage).where(_due_by(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)  # type: ignore[arg-type]
            .limit(limit).with_for_update(skip_locked=True)  # SQLite leaves the clause out: its write lock does it
        )).scalars().all()
        taken = []
        for message in rows:
            if message.channel not in adapters:
                _release(message)
                message.next_attempt_at = None  # parked for a gateway that reads the table
            elif message.attempts >= MAX_ATTEMPTS:
                # The last attempt's round stopped before recording: that attempt counts.
                _release(message)
                message.next_attempt_at = None
                message.last_error = message.last_error or "the last attempt's result was never recorded"
                log.warning("outbox message %s (%s) given up: the last attempt was never recorded", message.id, message.channel)
            else:
                message.attempts += 1
                message.claimed_by, message.claimed_at, message.next_attempt_at = owner, now, now + CLAIM_LEASE
                taken.append(Outgoing(message.id, message.channel, message.recipient, message.subject, message.body,  # type: ignore[arg-type]
                                      message.reference))
    return Claim(owner, now, taken) if rows else None


async def record(platform: Platform, claim: Claim, message_id: int, error: str | None) -> bool:
    """Record the result of one send (``error`` None: sent), in its own short transaction.

    False when the claim is no longer the round's: it ended and another round took the
    message, which records its own result.
    """
    async with platform.db.transaction() as session:
        message = await session.get(OutboxMessage, message_id, with_for_update=True)
        if message is None or message.claimed_by != claim.owner:
            return False
        now = platform.clock.now()
        _release(message)
        if error is None:
            message.sent_at, message.next_attempt_at, message.last_error = now, None, ""
        else:
            message.last_error = error[:500]
            message.next_attempt_at = now + retry_delay(message.attempts) if message.attempts < MAX_ATTEMPTS else None
    return True


async def _send(adapter: Adapter, message: Outgoing) -> str | None:
    """Hand the message to its adapter in a worker thread (it blocks on the network); the error, or None."""
    try:
        await asyncio.to_thread(adapter.deliver, message)
    except Exception as error:  # noqa: BLE001 - an adapter may fail in any way; the error is kept on the row
        return f"{type(error).__name__}: {error}"
    return None


async def deliver_due(platform: Platform, adapters: Mapping[str, Adapter] | None = None) -> int:
    """One delivery round: claim, send and record batch after batch until nothing is due (or
    ``ROUND_SECONDS`` passed). Returns how many messages were tried."""
    adapters = adapters_for(platform.settings) if adapters is None else adapters
    owner = f"{holder_name()}#{secrets.token_hex(4)}"  # one name per round: a round records only its own claims
    started, tried = time.monotonic(), 0
    while time.monotonic() - started < ROUND_SECONDS and (taken := await claim(platform, adapters, owner)) is not None:
        for index, message in enumerate(taken.messages):
            if platform.clock.now() >= taken.until - SEND_ALLOWANCE:
                # Unsent, they are due again when the claim ends.
                log.warning("outbox round %s: claim ending, %s message(s) left for a later round", owner, len(taken.messages) - index)
                break
            error = await _send(adapters[message.channel], message)
            tried += 1
            if error is not None:
                log.warning("outbox message %s (%s) failed: %s", message.id, message.channel, error)
            if not await record(platform, taken, message.id, error):
                log.warning("outbox message %s: the claim ended before the result (%s) was recorded", message.id, error or "sent")
    return tried
