"""Timestamps keep their instant whatever zone the caller's time is in, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from procurement.outbox.models import OutboxMessage

BEIJING = timezone(timedelta(hours=8))


async def test_an_aware_time_in_another_zone_is_stored_as_its_utc_instant(platform) -> None:
    beijing_noon = datetime(2026, 11, 27, 12, 0, tzinfo=BEIJING)
    async with platform.db.transaction() as session:
        session.add(OutboxMessage(channel="sms", recipient="13800000000", body="-", reference="t:1", created_at=beijing_noon,
                                  next_attempt_at=None))
    async with platform.db.transaction(write=False) as session:
        stored = (await session.execute(select(OutboxMessage.created_at))).scalar_one()
        # Compared as a bound parameter too: the filter sees the same instant.
        found = (await session.execute(
            select(OutboxMessage.id).where(OutboxMessage.created_at == datetime(2026, 11, 27, 4, 0, tzinfo=UTC))
        )).scalar_one_or_none()
    assert stored == beijing_noon and stored.utcoffset() == timedelta(0)
    assert found is not None
