"""Claim, commit, send, record: no transaction is open while a message is sent; a round that dies
after its claim is made good when the claim ends; two claimers never take the same message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text

from procurement.outbox import service as outbox
from procurement.outbox.models import Channel, OutboxMessage
from procurement.platform import Platform
from procurement.settings import Settings
from tests.conftest import reset_postgres
from tests.outbox.outbox_testlib import Recording, enqueue, message, smtp_server


async def test_a_slow_mail_server_holds_up_no_other_writer(settings, clock) -> None:
    with smtp_server(hold=True) as server:
        host, port = server.server_address
        platform = Platform.build(settings.with_overrides(smtp_host=host, smtp_port=port), clock=clock)
        other = Platform.build(settings, clock=clock)  # another process writing meanwhile
        try:
            message_id = await enqueue(platform, Channel.email, "zhuanjia@example.cn")
            delivery = asyncio.create_task(outbox.deliver_due(platform))
            assert await asyncio.to_thread(server.connected.wait, 10), "the round never reached the mail server"
            # The server has not even greeted yet. On SQLite a write transaction open now would
            # keep this writer out for the busy timeout (15 s); there is none.
            written = await asyncio.wait_for(enqueue(other, Channel.sms), timeout=5)
            assert not delivery.done()
            claimed = await message(other, message_id)
            assert claimed.claimed_by and claimed.claimed_at == clock.now() and claimed.sent_at is None  # committed before the send
            server.go_on.set()
            assert await asyncio.wait_for(delivery, timeout=20) == 1
            assert (await message(other, message_id)).sent_at == clock.now()
            assert len(server.received) == 1 and (await message(other, written)).sent_at is None
        finally:
            await platform.close()
            await other.close()


async def test_a_round_that_dies_after_its_claim_is_made_good_when_the_claim_ends(platform, clock) -> None:
    message_id = await enqueue(platform)
    dead = await outbox.claim(platform, {"sms": Recording()}, "dead-host:1#round")  # then the process dies: nothing recorded
    assert dead is not None and [m.id for m in dead.messages] == [message_id]
    held = await message(platform, message_id)
    assert (held.claimed_by, held.attempts, held.next_attempt_at) == ("dead-host:1#round", 1, clock.now() + outbox.CLAIM_LEASE)
    gateway = Recording()
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 0  # claimed: not due again yet
    async with platform.db.transaction(write=False) as session:  # the scheduler sets its timer for the claim's end
        assert await outbox.due(session, clock.now() + outbox.CLAIM_LEASE) == [("queue", clock.now() + outbox.CLAIM_LEASE)]

    clock.advance(outbox.CLAIM_LEASE)
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 1
    sent = await message(platform, message_id)
    assert (sent.sent_at, sent.attempts, sent.claimed_by, sent.next_attempt_at) == (clock.now(), 2, None, None)
    assert [m.id for m in gateway.delivered] == [message_id]
    # The dead round's result, if it ever came, is not its to record any more.
    assert not await outbox.record(platform, dead, message_id, "ConnectionError: too late")
    assert (await message(platform, message_id)).last_error == ""


async def test_a_round_that_dies_holding_the_last_attempt_gives_up(platform, clock) -> None:
    message_id = await enqueue(platform)
    async with platform.db.transaction() as session:
        row = await session.get(OutboxMessage, message_id)
        row.attempts = outbox.MAX_ATTEMPTS - 1  # type: ignore[union-attr]
    assert await outbox.claim(platform, {"sms": Recording()}, "dead-host:1#round") is not None
    clock.advance(outbox.CLAIM_LEASE)
    gateway = Recording()
    assert await outbox.deliver_due(platform, {"sms": gateway}) == 0
    given_up = await message(platform, message_id)
    assert (given_up.attempts, given_up.sent_at, given_up.next_attempt_at, given_up.claimed_by) == (outbox.MAX_ATTEMPTS, None, None, None)
    assert given_up.last_error and gateway.delivered == []


async def test_two_claimers_at_once_take_different_messages(platform, settings, clock) -> None:
    ids = {await enqueue(platform, recipient=f"1380000{n:04d}") for n in range(2 * outbox.CLAIM_BATCH)}
    other = Platform.build(settings, clock=clock)
    try:
        first, second = await asyncio.gather(outbox.claim(platform, {"sms": Recording()}, "a#1"),
                                             outbox.claim(other, {"sms": Recording()}, "b#1"))
    finally:
        await other.close()
    assert first is not None and second is not None
    taken_first, taken_second = {m.id for m in first.messages}, {m.id for m in second.messages}
    assert not taken_first & taken_second
    assert taken_first | taken_second == ids


@pytest.fixture
async def postgres_platform(request: pytest.FixtureRequest, tmp_path, clock) -> AsyncIterator[Platform]:
    url = request.getfixturevalue("postgres_template")
    reset_postgres(url)
    built = Platform.build(Settings(data_dir=tmp_path / "var", database_url=url, log_json=False, log_level="WARNING"), clock=clock)
    yield built
    await built.close()


async def test_on_postgresql_a_claimer_skips_what_another_is_claiming_without_waiting(postgres_platform) -> None:
    platform = postgres_platform
    ids = [await enqueue(platform, recipient=f"1380000{n:04d}") for n in range(outbox.CLAIM_BATCH + 3)]
    # Another scheduler's claim, caught between reading its batch and committing it.
    async with platform.db.writer.connect() as other:
        await other.begin()
        locked = set((await other.execute(
            text("SELECT id FROM outbox_message ORDER BY next_attempt_at, id LIMIT :n FOR UPDATE"), {"n": outbox.CLAIM_BATCH})).scalars())
        mine = await asyncio.wait_for(outbox.claim(platform, {"sms": Recording()}, "b#1"), timeout=5)
        await other.rollback()
    assert mine is not None
    assert {m.id for m in mine.messages} == set(ids) - locked and len(locked) == outbox.CLAIM_BATCH
    async with platform.db.transaction(write=False) as session:
        claimed = dict((await session.execute(select(OutboxMessage.id, OutboxMessage.claimed_by))).all())
    assert {i for i, owner in claimed.items() if owner == "b#1"} == set(ids) - locked
