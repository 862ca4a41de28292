"""The scheduler a process runs when it holds the lease.

Every process that may schedule runs a ``SchedulerRunner``: it tries for the lease every
few seconds; the holder starts APScheduler (persistent job store in the platform's
database) with two interval jobs — the sweep and the audit checkpoint — and, on each
sweep, sets a date timer for every recheck due before the next sweep, so time-driven
transitions happen on time rather than up to a sweep interval late. A holder that loses
its lease stops at once; a standby that gains it sweeps immediately, which catches up
whatever came due while nobody held it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url

from procurement.audit import service as audit
from procurement.db import sync_url
from procurement.platform import Platform
from procurement.scheduler.framework import (
    Registry,
    job_key,
    run_keyed,
    sweep,
    upcoming,
)
from procurement.scheduler.lease import Lease, holder_name, lease_for
from procurement.scheduler.models import APSCHEDULER_TABLE, SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"

# APScheduler stores jobs as references to module-level functions; they find the running
# platform here. One runner is active per process at most.
_active: SchedulerRunner | None = None


async def sweep_job() -> None:
    if _active is not None:
        await _active.run_sweep()


async def checkpoint_job() -> None:
    if _active is not None:
        await _active.run_checkpoint()


async def recheck_job(kind: str, subject_id: str, due_iso: str) -> None:
    if _active is not None:
        await _active.run_one(kind, subject_id, datetime.fromisoformat(due_iso))


def _job_store(url: str) -> SQLAlchemyJobStore:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if make_url(url).get_backend_name() == "sqlite":
        # APScheduler calls its store synchronously on the event loop. SQLite's write lock may
        # be held by a transaction of this very loop, which cannot finish while the loop waits:
        # fail fast rather than freeze the process for the busy timeout. A failed store write
        # only means a job fires again (every run is keyed, so that is a no-op) or a timer is
        # set by the next sweep; the heartbeat restarts APScheduler's wake-ups if one failed.
        options["connect_args"] = {"timeout": 0.2}
    return SQLAlchemyJobStore(url=sync_url(url), tablename=APSCHEDULER_TABLE, engine_options=options)


class SchedulerRunner:
    def __init__(self, platform: Platform, registry: Registry, *, poll_seconds: float = 5.0, lease: Lease | None = None) -> None:
        self.platform = platform
        self.registry = registry
        self.poll_seconds = poll_seconds
        self.lease: Lease = lease or lease_for(platform.db.url, platform.db.writer, platform.settings.data_dir)
        self.holder = holder_name()
        self.scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._campaign(), name="scheduler-lease")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._step_down()

    async def _campaign(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._poll()
            except Exception:  # a failed round (database away...) must not end the campaign
                log.exception("scheduler lease check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)

    async def _poll(self) -> None:
        if self.scheduler is None:
            if await self.lease.try_acquire():
                try:
                    await self._take_over()
                except Exception:
                    # Holding the lease without a running scheduler would stop every process
                    # from scheduling: let go, and try again next round.
                    await self._step_down()
                    raise
        elif not await self.lease.still_held():
            log.warning("scheduler lease lost; stopping the scheduler in this process")
            await self._step_down()
        else:
            await self._heartbeat()
            # APScheduler stops setting its timer when the job store fails inside a wakeup
            # (a busy SQLite, a dropped connection); waking it each round restarts it.
            self.scheduler.wakeup()

    async def _take_over(self) -> None:
        global _active
        settings = self.platform.settings
        await self._heartbeat(acquired=True)
        # Catch up first, before any timer: whatever came due while nobody held the lease
        # runs here, once (the ledger turns the stored timers that fire next into no-ops).
        await self.run_sweep()
        scheduler = AsyncIOScheduler(
            jobstores={"default": _job_store(self.platform.db.url)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        scheduler.add_job(sweep_job, "interval", seconds=settings.sweep_interval_seconds, id="sweep", replace_existing=True)
        scheduler.add_job(
            checkpoint_job, "interval", seconds=settings.checkpoint_interval_seconds, id="audit-checkpoint", replace_existing=True
        )
        _active = self
        scheduler.start()  # on the running loop: we are in a coroutine
        self.scheduler = scheduler
        log.info("scheduler active in %s", self.holder)
        await self._set_timers()

    async def _step_down(self) -> None:
        global _active
        if _active is self:
            _active = None  # a stored job that still fires here finds no runner and does nothing
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            await asyncio.sleep(0)  # AsyncIOScheduler.shutdown only queues itself on the loop: let it run
        await self.lease.release()

    async def _heartbeat(self, *, acquired: bool = False) -> None:
        now = self.platform.clock.now()
        async with self.platform.db.transaction() as session:
            row = await session.get(SchedulerLease, LEASE_NAME)
            if row is None:
                session.add(SchedulerLease(name=LEASE_NAME, holder=self.holder, acquired_at=now, heartbeat_at=now))
            else:
                if acquired or row.holder != self.holder:
                    row.holder, row.acquired_at = self.holder, now
                row.heartbeat_at = now

    async def run_sweep(self) -> None:
        report = await sweep(self.platform, self.registry, holder=self.holder)
        if report.ran or report.failed:
            log.info("sweep ran %d rechecks (%d already done, %d failed)", report.ran, report.skipped, report.failed)
        await self._set_timers()

    async def _set_timers(self) -> None:
        scheduler = self.scheduler  # this one, even if the runner steps down meanwhile
        if scheduler is None:
            return
        horizon = self.platform.clock.now() + timedelta(seconds=2 * self.platform.settings.sweep_interval_seconds)
        for recheck, subject_id, due_at in await upcoming(self.platform, self.registry, horizon):
            job_id = job_key(recheck.kind, subject_id)
            try:
                existing = scheduler.get_job(job_id)
                if existing is not None and existing.next_run_time == due_at:
                    continue  # already set: store writes block the loop, so write only what changed
                scheduler.add_job(
                    recheck_job,
                    "date",
                    run_date=due_at,
                    args=[recheck.kind, subject_id, due_at.isoformat()],
                    id=job_id,
                    replace_existing=True,
                )
            except Exception:  # the next sweep sets it, or runs it if it is overdue by then
                log.warning("could not set the timer of %s", job_id, exc_info=True)

    async def run_one(self, kind: str, subject_id: str, due_at: datetime) -> None:
        await run_keyed(self.platform, self.registry[kind], subject_id, due_at, holder=self.holder)

    async def run_checkpoint(self) -> None:
        async with self.platform.db.transaction() as session:
            await audit.sign_checkpoint(session, self.platform.clock, self.platform.keys)

