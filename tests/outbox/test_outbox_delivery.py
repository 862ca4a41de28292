"""The notification outbox: written with the change or not at all; delivered with retries; SMTP for email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from procurement.jobs import build_registry
from procurement.outbox import service as outbox
from procurement.outbox.models import Channel, OutboxMessage
from procurement.platform import Platform
from procurement.scheduler.framework import sweep
from tests.outbox.outbox_testlib import Recording, enqueue, message, smtp_server


async def test_a_rolled_back_change_sends_nothing(platform) -> None:
    with pytest.raises(RuntimeError):
        async with platform.db.transaction() as session:
            await outbox.enqueue(session, platform.clock, channel=Channel.sms, recipient="13800000001", body="x", reference="t:1")
            raise RuntimeError("the change is refused")
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(OutboxMessage))).scalars().all() == []


async def test_delivery_retries_with_a_doubling_delay_then_succeeds(platform, clock) -> None:
    message_id = await enqueue(platform)
    gateway = Recording(failures=2)
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 1
    failed = await message(platform, message_id)
    assert (failed.attempts, failed.sent_at, failed.next_attempt_at) == (1, None, clock.now() + timedelta(minutes=1))
    assert (failed.claimed_by, failed.claimed_at) == (None, None)  # the result is recorded: nobody holds it
    assert "gateway unreachable" in failed.last_error
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 0  # not due yet
    clock.advance(timedelta(minutes=1))
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 1
    assert (await message(platform, message_id)).next_attempt_at == clock.now() + timedelta(minutes=2)
    clock.advance(timedelta(minutes=2))
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 1
    sent = await message(platform, message_id)
    assert (sent.attempts, sent.sent_at, sent.next_attempt_at, sent.last_error, sent.claimed_by) == (3, clock.now(), None, "", None)
    assert [(m.recipient, m.body, m.reference) for m in gateway.delivered] == [("13800000001", "评标邀请", "invitation:1")]
    clock.advance(timedelta(hours=1))
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 0  # sent once: never again
    assert len(gateway.delivered) == 1


async def test_delivery_gives_up_after_the_last_attempt(platform, clock) -> None:
    message_id = await enqueue(platform)
    gateway = Recording(failures=outbox.MAX_ATTEMPTS)
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert await outbox.deliver_due(platform, {"sms": gateway}) == 1
        clock.advance(outbox.retry_delay(attempt))
    given_up = await message(platform, message_id)
    assert (given_up.attempts, given_up.sent_at, given_up.next_attempt_at) == (outbox.MAX_ATTEMPTS, None, None)
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 0
    assert outbox.retry_delay(outbox.MAX_ATTEMPTS) == outbox.LONGEST_RETRY


async def test_without_an_adapter_a_message_waits_for_the_gateway(platform) -> None:
    message_id = await enqueue(platform)
    report = await sweep(platform, build_registry())  # no SMS adapter on this machine
    assert report.failed == 0
    parked = await message(platform, message_id)
    assert (parked.sent_at, parked.next_attempt_at, parked.attempts, parked.claimed_by) == (None, None, 0, None)
    async with platform.db.transaction(write=False) as session:
        assert await outbox.due(session, platform.clock.now() + timedelta(days=1)) == []  # nothing for the scheduler


async def test_the_job_sends_email_through_smtp_and_retries_when_it_is_down(settings, clock) -> None:
    with smtp_server() as server:
        host, port = server.server_address
        platform = Platform.build(settings.with_overrides(smtp_host=host, smtp_port=port, smtp_from="ggzy@example.cn"), clock=clock)
        try:
            message_id = await enqueue(platform, Channel.email, "zhuanjia@example.cn")
            await sweep(platform, build_registry())
            assert (await message(platform, message_id)).sent_at == clock.now()
            [received] = server.received
            assert "To: zhuanjia@example.cn" in received and "From: ggzy@example.cn" in received
            # Every copy carries the same Message-ID, naming the outbox row: a duplicate is recognisable.
            assert f"Message-ID: <outbox-{message_id}@example.cn>" in received
            # Nothing listens on the next one's port: the attempt fails and is tried again later.
            closed = Platform.build(settings.with_overrides(smtp_host=host, smtp_port=1), clock=clock)
            try:
                again = await enqueue(closed, Channel.email, "zhuanjia@example.cn")
                await sweep(closed, build_registry())
                failed = await message(closed, again)
                assert failed.attempts == 1 and failed.sent_at is None and failed.next_attempt_at == clock.now() + timedelta(minutes=1)
            finally:
                await closed.close()
        finally:
            await platform.close()
