"""``Database.write``: synchronous work in a write transaction of its own, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from expert_pool.models import Specialty


def _add(code: str, now):  # type: ignore[no-untyped-def]
    def work(session) -> int:  # type: ignore[no-untyped-def]
        row = Specialty(code=code, name=f"专业{code}", parent_code=None, created_at=now)
        session.add(row)
        session.flush()
        return row.id

    return work


async def _codes(platform) -> list[str]:  # type: ignore[no-untyped-def]
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(Specialty.code).order_by(Specialty.code))).scalars())


async def test_the_work_is_committed_and_its_objects_come_back_loaded(platform) -> None:
    new_id = await platform.db.write(_add("W01", platform.clock.now()))
    assert await _codes(platform) == ["W01"]
    row = await platform.db.write(lambda session: session.get(Specialty, new_id))
    assert row.code == "W01" and row.name == "专业W01"  # detached, attributes still readable


async def test_a_failure_inside_the_work_leaves_nothing_written(platform) -> None:
    add = _add("W02", platform.clock.now())

    def fails(session) -> None:  # type: ignore[no-untyped-def]
        add(session)
        raise RuntimeError("halfway")

    with pytest.raises(RuntimeError, match="halfway"):
        await platform.db.write(fails)
    assert await _codes(platform) == []


async def test_it_waits_for_another_writer_instead_of_failing(platform) -> None:
    """On SQLite the async writer holds the write lock while the thread's work waits for it (busy timeout)."""
    now = platform.clock.now()
    started = asyncio.Event()

    async def slow_writer() -> None:
        async with platform.db.transaction() as session:
            session.add(Specialty(code="W03", name="专业W03", parent_code=None, created_at=now))
            await session.flush()  # the write lock is taken here
            started.set()
            await asyncio.sleep(0.3)

    writer = asyncio.create_task(slow_writer())
    await started.wait()
    await platform.db.write(_add("W04", now))
    await writer
    assert await _codes(platform) == ["W03", "W04"]
