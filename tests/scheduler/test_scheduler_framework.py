"""The keyed, idempotent recheck framework, on both databases, with a clock the test moves.

"The platform is down" means simply that no sweep runs while the clock moves on.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from scheduler_testlib import job_runs, lock_account, locked_until, unlock_entries
from sqlalchemy import func, select

from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from procurement.clock import as_utc
from procurement.identity.jobs import ACCOUNT_UNLOCK
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import (
    Recheck,
    Registry,
    job_key,
    run_keyed,
    sweep,
    upcoming,
)


async def test_a_lock_that_ends_while_the_platform_is_down_is_lifted_once_by_the_next_sweep(platform, users, clock) -> None:
    registry = build_registry()
    user = await users.make(Role.supplier)
    until = clock.now() + timedelta(minutes=15)
    await lock_account(platform, user.user_id, until)
    assert (await sweep(platform, registry)).ran == 0  # not due yet

    clock.advance(timedelta(hours=3))  # down across the end of the lock: no sweep ran at that moment
    report = await sweep(platform, registry, holder="first")
    assert (report.ran, report.skipped, report.failed) == (1, 0, 0)
    assert await locked_until(platform, user.user_id) is None
    assert await unlock_entries(platform, user.user_id) == 1
    [ledger] = await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(user.user_id)))
    assert (as_utc(ledger.due_at), ledger.holder, ledger.changed) == (until, "first", True)

    # Double run: another sweep finds nothing due, and a direct run for the same due time is a no-op.
    assert (await sweep(platform, registry)).ran == 0
    assert await run_keyed(platform, ACCOUNT_UNLOCK, str(user.user_id), until) is False
    assert await unlock_entries(platform, user.user_id) == 1
    assert len(await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(user.user_id)))) == 1


async def test_concurrent_runs_for_one_due_time_unlock_once(platform, users, clock) -> None:
    user = await users.make(Role.agency)
    until = clock.now() - timedelta(seconds=1)
    await lock_account(platform, user.user_id, until)
    results = await asyncio.gather(
        run_keyed(platform, ACCOUNT_UNLOCK, str(user.user_id), until, holder="a"),
        run_keyed(platform, ACCOUNT_UNLOCK, str(user.user_id), until, holder="b"),
    )
    assert sorted(results) == [False, True]
    assert await unlock_entries(platform, user.user_id) == 1
    assert len(await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(user.user_id)))) == 1


async def test_a_lock_not_yet_due_is_not_touched_not_even_by_an_early_timer(platform, users, clock) -> None:
    due, later = await users.make(Role.supplier), await users.make(Role.supplier)
    await lock_account(platform, due.user_id, clock.now() - timedelta(minutes=1))
    later_until = clock.now() + timedelta(minutes=1)
    await lock_account(platform, later.user_id, later_until)

    assert (await sweep(platform, build_registry())).ran == 1
    assert await locked_until(platform, due.user_id) is None
    assert as_utc(await locked_until(platform, later.user_id)) == later_until
    # A timer that fires before the platform's clock reaches the due time must not use up
    # the key, or the real run would find it taken.
    assert await run_keyed(platform, ACCOUNT_UNLOCK, str(later.user_id), later_until) is False
    assert await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(later.user_id))) == []

    clock.advance(timedelta(minutes=1))
    assert await run_keyed(platform, ACCOUNT_UNLOCK, str(later.user_id), later_until) is True
    assert await unlock_entries(platform, later.user_id) == 1


async def test_a_failing_recheck_does_not_stop_the_others_and_is_retried_by_the_next_sweep(platform, users, clock) -> None:
    due_at = clock.now() - timedelta(minutes=5)
    broken = {"b"}

    async def due(_session, _moment: datetime) -> list[tuple[str, datetime]]:
        return [(subject, due_at) for subject in ("a", "b", "c")]

    async def run(session, platform, subject: str) -> bool:
        # Writes first, then fails: the write must roll back with the ledger row.
        await audit.record(session, platform.clock, None, "test.rechecked", subject_type="test", subject_id=subject)
        if subject in broken:
            raise RuntimeError("recheck broke")
        return True

    async def due_fails(_session, _moment: datetime) -> list[tuple[str, datetime]]:
        raise RuntimeError("due query broke")

    registry = Registry()
    registry.register(Recheck(kind="broken-kind", due=due_fails, run=run))
    registry.register(Recheck(kind="flaky", due=due, run=run))
    registry.register(ACCOUNT_UNLOCK)
    user = await users.make(Role.purchaser)
    await lock_account(platform, user.user_id, due_at)

    first = await sweep(platform, registry)
    assert (first.ran, first.skipped, first.failed) == (3, 0, 1)  # a, c and the unlock; b failed
    assert await unlock_entries(platform, user.user_id) == 1
    assert await _rechecked(platform) == ["a", "c"]
    assert await job_runs(platform, job_key("flaky", "b")) == []

    broken.clear()
    second = await sweep(platform, registry)
    assert (second.ran, second.skipped, second.failed) == (1, 2, 0)  # only b, at last
    assert await _rechecked(platform) == ["a", "b", "c"]
    assert [len(await job_runs(platform, job_key("flaky", s))) for s in "abc"] == [1, 1, 1]


async def _rechecked(platform) -> list[str]:
    async with platform.db.transaction(write=False) as session:
        query = select(AuditEntry.subject_id).where(AuditEntry.action == "test.rechecked").order_by(AuditEntry.subject_id)
        return list((await session.execute(query)).scalars())


async def test_upcoming_lists_what_is_due_before_the_horizon(platform, users, clock) -> None:
    now = clock.now()
    overdue, soon, later = [await users.make(Role.supplier) for _ in range(3)]
    await lock_account(platform, overdue.user_id, now - timedelta(minutes=1))
    await lock_account(platform, soon.user_id, now + timedelta(minutes=1))
    await lock_account(platform, later.user_id, now + timedelta(minutes=10))

    found = await upcoming(platform, build_registry(), now + timedelta(minutes=5))
    assert sorted((recheck.kind, subject, at) for recheck, subject, at in found) == sorted(
        [
            ("account-unlock", str(overdue.user_id), now - timedelta(minutes=1)),
            ("account-unlock", str(soon.user_id), now + timedelta(minutes=1)),
        ]
    )
    # Listing runs nothing.
    async with platform.db.transaction(write=False) as session:
        assert (await session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "identity.account_unlocked"))).scalar_one() == 0
