"""The notification outbox: written with the change or not at all; delivered with retries; SMTP for email."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from procurement.jobs import build_registry
from procurement.outbox import service as outbox
from procurement.outbox.models import Channel, OutboxMessage
from procurement.platform import Platform
from procurement.scheduler.framework import sweep


class Recording:
    """A stand-in for an outside gateway (an SMS provider): records, or fails while told to."""

    def __init__(self, failures: int = 0) -> None:
        self.delivered: list[outbox.Outgoing] = []
        self.failures = failures

    def deliver(self, message: outbox.Outgoing) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway unreachable")
        self.delivered.append(message)


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib to hand over one message."""

    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                self.server.received.append(data.decode())  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSession)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def _enqueue(platform, channel: Channel = Channel.sms, recipient: str = "13800000001") -> int:
    async with platform.db.transaction() as session:
        message = await outbox.enqueue(session, platform.clock, channel=channel, recipient=recipient, body="评标邀请",
                                       reference="invitation:1", subject="邀请")
        return message.id  # type: ignore[return-value]


async def _message(platform, message_id: int) -> OutboxMessage:
    async with platform.db.transaction(write=False) as session:
        return await session.get(OutboxMessage, message_id)  # type: ignore[return-value]


async def _attempt(platform, message_id: int, adapters) -> bool:
    async with platform.db.transaction() as session:
        return await outbox.attempt(session, platform.clock, message_id, adapters)


async def test_a_rolled_back_change_sends_nothing(platform) -> None:
    with pytest.raises(RuntimeError):
        async with platform.db.transaction() as session:
            await outbox.enqueue(session, platform.clock, channel=Channel.sms, recipient="13800000001", body="x", reference="t:1")
            raise RuntimeError("the change is refused")
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(OutboxMessage))).scalars().all() == []


async def test_delivery_retries_with_a_doubling_delay_then_succeeds(platform, clock) -> None:
    message_id = await _enqueue(platform)
    gateway = Recording(failures=2)
    assert await _attempt(platform, message_id, {"sms": gateway})
    failed = await _message(platform, message_id)
    assert (failed.attempts, failed.sent_at, failed.next_attempt_at) == (1, None, clock.now() + timedelta(minutes=1))
    assert "gateway unreachable" in failed.last_error
    assert await _attempt(platform, message_id, {"sms": gateway})
    assert (await _message(platform, message_id)).next_attempt_at == clock.now() + timedelta(minutes=2)
    assert await _attempt(platform, message_id, {"sms": gateway})
    sent = await _message(platform, message_id)
    assert (sent.attempts, sent.sent_at, sent.next_attempt_at, sent.last_error) == (3, clock.now(), None, "")
    assert [(m.recipient, m.body, m.reference) for m in gateway.delivered] == [("13800000001", "评标邀请", "invitation:1")]
    assert not await _attempt(platform, message_id, {"sms": gateway})  # sent once: never again
    assert len(gateway.delivered) == 1


async def test_delivery_gives_up_after_the_last_attempt(platform) -> None:
    message_id = await _enqueue(platform)
    gateway = Recording(failures=outbox.MAX_ATTEMPTS)
    for _ in range(outbox.MAX_ATTEMPTS):
        assert await _attempt(platform, message_id, {"sms": gateway})
    given_up = await _message(platform, message_id)
    assert (given_up.attempts, given_up.sent_at, given_up.next_attempt_at) == (outbox.MAX_ATTEMPTS, None, None)
    assert outbox.retry_delay(outbox.MAX_ATTEMPTS) == outbox.LONGEST_RETRY


async def test_without_an_adapter_a_message_waits_for_the_gateway(platform) -> None:
    message_id = await _enqueue(platform)
    report = await sweep(platform, build_registry())  # no SMS adapter on this machine
    assert report.failed == 0
    parked = await _message(platform, message_id)
    assert (parked.sent_at, parked.next_attempt_at, parked.attempts) == (None, None, 0)
    assert (await sweep(platform, build_registry())).ran == 0


async def test_the_job_sends_email_through_smtp_and_retries_when_it_is_down(settings, clock, smtp_server) -> None:
    host, port = smtp_server.server_address
    platform = Platform.build(settings.with_overrides(smtp_host=host, smtp_port=port, smtp_from="ggzy@example.cn"), clock=clock)
    try:
        message_id = await _enqueue(platform, Channel.email, "zhuanjia@example.cn")
        await sweep(platform, build_registry())
        assert (await _message(platform, message_id)).sent_at == clock.now()
        [received] = smtp_server.received
        assert "To: zhuanjia@example.cn" in received and "From: ggzy@example.cn" in received
        # Nothing listens on the next one's port: the attempt fails and is tried again later.
        closed = Platform.build(settings.with_overrides(smtp_host=host, smtp_port=1), clock=clock)
        try:
            again = await _enqueue(closed, Channel.email, "zhuanjia@example.cn")
            await sweep(closed, build_registry())
            failed = await _message(closed, again)
            assert failed.attempts == 1 and failed.sent_at is None and failed.next_attempt_at == clock.now() + timedelta(minutes=1)
        finally:
            await closed.close()
    finally:
        await platform.close()
