"""A ``SchedulerRunner`` in this process, on both databases: lease, catch-up, timers, stop.

The runner's APScheduler counts wall-clock time, so the frozen clock here starts at the real
now: a timer set for "in a minute" by the platform's clock is a minute away for APScheduler too.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from scheduler_testlib import (
    job_runs,
    lock_account,
    locked_until,
    unlock_entries,
    wait_until,
)
from sqlalchemy import select, update

from procurement.clock import FrozenClock, SystemClock, as_utc
from procurement.identity.jobs import ACCOUNT_UNLOCK
from procurement.identity.models import Role, User
from procurement.jobs import build_registry
from procurement.platform import Platform
from procurement.scheduler.framework import job_key
from procurement.scheduler.lease import lease_for
from procurement.scheduler.models import SchedulerLease, apscheduler_jobs
from procurement.scheduler.runner import SchedulerRunner, recheck_job
from tests.conftest import Users

# Where a test waits for the runner to retry, it polls the lease often. Elsewhere the first
# round takes the lease and the next is far away, so no heartbeat writes race the test's own
# (on SQLite a heartbeat holding the write lock makes a job store write wait, then fail).
POLL = 0.05
QUIET = 60.0


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def _other_lease(platform: Platform):
    """A second contender for the same lease, as another process would be."""
    return lease_for(platform.db.url, platform.db.writer, platform.settings.data_dir)


async def test_the_runner_takes_the_lease_catches_up_and_sets_timers(platform, users, clock) -> None:
    overdue, upcoming = await users.make(Role.supplier), await users.make(Role.supplier)
    await lock_account(platform, overdue.user_id, clock.now() - timedelta(minutes=5))
    soon = clock.now() + timedelta(seconds=60)  # within the horizon of two sweep intervals
    await lock_account(platform, upcoming.user_id, soon)

    runner = SchedulerRunner(platform, build_registry(), poll_seconds=QUIET)
    await runner.start()
    try:
        timer = job_key(ACCOUNT_UNLOCK.kind, str(upcoming.user_id))
        # Active first, then the take-over sets its timers: wait for the last step.
        await wait_until(lambda: runner.active and runner.scheduler.get_job(timer), timeout=10, what="the take-over to set timers")
        async with platform.db.transaction(write=False) as session:
            row = await session.get(SchedulerLease, "scheduler")
            assert row is not None and row.holder == runner.holder
            stored = set((await session.execute(select(apscheduler_jobs.c.id))).scalars())
        assert {"sweep", "audit-checkpoint", timer} <= stored
        assert await _other_lease(platform).try_acquire() is False

        # The take-over swept: the overdue lock is lifted, once, by this holder.
        assert await locked_until(platform, overdue.user_id) is None
        assert await unlock_entries(platform, overdue.user_id) == 1
        [ledger] = await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(overdue.user_id)))
        assert ledger.holder == runner.holder

        # The upcoming one waits for its own timer, read back (unpickled) from the job store.
        job = runner.scheduler.get_job(timer)
        assert job.func is recheck_job  # a module-level function, found again by its import path
        assert job.next_run_time == soon
        assert job.args == (ACCOUNT_UNLOCK.kind, str(upcoming.user_id), soon.isoformat())
        assert as_utc(await locked_until(platform, upcoming.user_id)) == soon
    finally:
        await runner.stop()
    assert not runner.active
    successor = _other_lease(platform)
    assert await successor.try_acquire() is True
    await successor.release()


async def test_a_timer_runs_the_recheck_when_it_comes_due(settings) -> None:
    # The real clock: the timer and the rule must agree on when "due" is.
    platform = Platform.build(settings, clock=SystemClock())
    try:
        user = await Users(platform).make(Role.supplier)
        until = datetime.now(UTC) + timedelta(seconds=1)
        await lock_account(platform, user.user_id, until)
        runner = SchedulerRunner(platform, build_registry(), poll_seconds=QUIET)  # the sweep is a minute away too
        await runner.start()
        try:
            await wait_until(lambda: runner.active, timeout=10, what="the runner to take the lease")
            await wait_until(lambda: _unlocked(platform, user.user_id), timeout=10, what="the timer to unlock the account")
            assert await unlock_entries(platform, user.user_id) == 1
            [ledger] = await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(user.user_id)))
            assert (as_utc(ledger.due_at), ledger.holder) == (until, runner.holder)
            assert as_utc(ledger.ran_at) >= until
        finally:
            await runner.stop()
    finally:
        await platform.close()


async def _unlocked(platform: Platform, user_id: int) -> bool:
    return await locked_until(platform, user_id) is None


class _ScriptedLease:
    """A real lease behind a script of failures: raise on the first try, lose it on demand."""

    def __init__(self, real, *, fail_first_try: bool = False) -> None:
        self.real = real
        self.tries = 0
        self.releases = 0
        self.fail_first_try = fail_first_try
        self.lost = False

    async def try_acquire(self) -> bool:
        self.tries += 1
        if self.fail_first_try and self.tries == 1:
            raise ConnectionError("database away")
        self.lost = False
        return await self.real.try_acquire()

    async def still_held(self) -> bool:
        return not self.lost and await self.real.still_held()

    async def release(self) -> None:
        self.releases += 1
        await self.real.release()

    async def lose(self) -> None:
        self.lost = True
        await self.real.release()


async def test_the_campaign_survives_errors_and_a_lost_lease(platform) -> None:
    lease = _ScriptedLease(_other_lease(platform), fail_first_try=True)
    runner = SchedulerRunner(platform, build_registry(), poll_seconds=POLL, lease=lease)
    await runner.start()
    try:
        # The first try raised; the campaign went on and took the lease next round.
        await wait_until(lambda: runner.active, timeout=10, what="the runner to take the lease after an error")
        assert lease.tries >= 2
        first_scheduler = runner.scheduler

        await lease.lose()
        # It notices, stops its scheduler, and (nobody else holding the lease) takes it again.
        await wait_until(lambda: runner.scheduler is not first_scheduler, timeout=10, what="the runner to step down")
        assert not first_scheduler.running
        await wait_until(lambda: runner.active, timeout=10, what="the runner to take the lease again")
    finally:
        await runner.stop()
    assert not runner.active


async def test_a_failed_take_over_lets_the_lease_go(platform, monkeypatch) -> None:
    lease = _ScriptedLease(_other_lease(platform))
    runner = SchedulerRunner(platform, build_registry(), poll_seconds=POLL, lease=lease)
    real_heartbeat = runner._heartbeat
    calls = 0

    async def heartbeat_fails_once(**kwargs) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        await real_heartbeat(**kwargs)

    monkeypatch.setattr(runner, "_heartbeat", heartbeat_fails_once)
    await runner.start()
    try:
        await wait_until(lambda: runner.active, timeout=10, what="the runner to take the lease on the second try")
        # Had it kept the lease after the failure, its own second try would have been refused.
        assert lease.releases >= 1 and lease.tries >= 2
    finally:
        await runner.stop()


async def test_stop_without_ever_holding_the_lease(platform) -> None:
    other = _other_lease(platform)
    assert await other.try_acquire()  # another process is the scheduler
    lease = _ScriptedLease(_other_lease(platform))
    runner = SchedulerRunner(platform, build_registry(), poll_seconds=POLL, lease=lease)
    try:
        await runner.start()
        await wait_until(lambda: lease.tries >= 3, timeout=10, what="a few refused tries")
        assert not runner.active
        await runner.stop()
        assert not runner.active
        assert await other.still_held()  # stopping a standby does not touch the holder's lease
    finally:
        await other.release()
    # A runner that was never started stops too.
    await SchedulerRunner(platform, build_registry(), lease=_ScriptedLease(_other_lease(platform))).stop()


async def test_a_busy_database_neither_freezes_the_loop_nor_loses_a_timer(platform, users, clock) -> None:
    user = await users.make(Role.supplier)
    await lock_account(platform, user.user_id, clock.now() + timedelta(seconds=60))
    timer = job_key(ACCOUNT_UNLOCK.kind, str(user.user_id))
    runner = SchedulerRunner(platform, build_registry(), poll_seconds=QUIET)
    await runner.start()
    try:
        await wait_until(lambda: runner.active and runner.scheduler.get_job(timer), timeout=10, what="the take-over to set timers")
        runner.scheduler.remove_job(timer)  # so that the next sweep has to write it again
        # A request's write transaction on this loop holds SQLite's only write lock. APScheduler
        # writes its store synchronously on the loop, so waiting for that lock would wait for
        # a transaction that cannot finish until the wait ends: SQLite's whole busy timeout.
        async with platform.db.transaction() as session:
            await session.execute(update(User).where(User.id == user.user_id).values(display_name="busy"))
            started = time.monotonic()
            await runner.run_sweep()
            stalled = time.monotonic() - started
        assert stalled < 2.5, f"the loop froze for {stalled:.1f} s"
        await runner.run_sweep()  # the next sweep sets what the busy one could not
        assert runner.scheduler.get_job(timer) is not None
    finally:
        await runner.stop()
