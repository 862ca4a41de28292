"""Many writers at once still leave one unbroken chain, in commit order."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from tests.audit.conftest import verify_database

WRITERS = 16
APPENDS_EACH = 8


async def test_concurrent_writers_leave_one_unbroken_chain(platform) -> None:
    async def writer(number: int) -> None:
        for i in range(APPENDS_EACH):
            async with platform.db.transaction() as session:
                await audit.record(session, platform.clock, None, "test.concurrent", subject_id=f"{number}-{i}", details={"w": number})
                # Some work between the append and the commit, so transactions overlap.
                await asyncio.sleep(0)

    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    async with platform.db.transaction(write=False) as session:
        seqs = (await session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq))).scalars().all()
        subjects = set((await session.execute(select(AuditEntry.subject_id))).scalars())
    assert seqs == list(range(1, WRITERS * APPENDS_EACH + 1))
    assert len(subjects) == WRITERS * APPENDS_EACH
    async with platform.db.transaction() as session:
        await audit.sign_checkpoint(session, platform.clock, platform.keys)
    assert verify_database(platform) is None


async def test_a_rolled_back_action_leaves_no_entry_and_no_gap(platform) -> None:
    async with platform.db.transaction() as session:
        await audit.record(session, platform.clock, None, "test.kept")
    try:
        async with platform.db.transaction() as session:
            await audit.record(session, platform.clock, None, "test.rolled_back")
            raise RuntimeError("the action failed after auditing")
    except RuntimeError:
        pass
    async with platform.db.transaction() as session:
        entry = await audit.record(session, platform.clock, None, "test.after")
    assert entry.seq == 2
    assert verify_database(platform) is None
