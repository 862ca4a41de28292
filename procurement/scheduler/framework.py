"""Keyed, idempotent rechecks of aggregates that move with time.

An aggregate kind (a tender, an account lock, a blacklist entry...) registers a
``Recheck``: how to find the subjects whose ``next_check`` has come, and how to recheck
one. ``run_keyed`` runs one recheck in its own transaction after inserting a ledger row
keyed by (kind:subject, due time); a second attempt for the same due time hits the unique
constraint and does nothing. ``sweep`` runs everything overdue, which is how a platform
that was down at the moment catches up, exactly once, when it comes back.

A queue whose work must not run inside a transaction (sending through an outside server)
registers a ``Drain`` instead: it is run without a ledger row and takes its own short
transactions, claiming what it works on so that two runs never take the same item.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.platform import Platform
from procurement.scheduler.models import JobRun

log = logging.getLogger(__name__)

DueFinder = Callable[[AsyncSession, datetime], Awaitable[list[tuple[str, datetime]]]]
Rechecker = Callable[[AsyncSession, Platform, str], Awaitable[bool]]


@dataclass(frozen=True)
class Recheck:
    kind: str
    # (subject id, due time) of every subject whose next check is at or before the moment.
    due: DueFinder
    # Recheck one subject; returns whether anything changed. Must itself be safe to repeat.
    run: Rechecker


@dataclass(frozen=True)
class Drain:
    kind: str
    # As for a Recheck; the subjects only name the timers (at most one entry is enough).
    due: DueFinder
    # One round over everything due, in its own transactions; returns how many items it took.
    run: Callable[[Platform], Awaitable[int]]


Job = Recheck | Drain


@dataclass
class Registry:
    rechecks: dict[str, Job] = field(default_factory=dict)

    def register(self, recheck: Job) -> None:
        if recheck.kind in self.rechecks:
            raise ValueError(f"recheck {recheck.kind!r} registered twice")
        self.rechecks[recheck.kind] = recheck

    def __getitem__(self, kind: str) -> Job:
        return self.rechecks[kind]


def job_key(kind: str, subject_id: str) -> str:
    return f"{kind}:{subject_id}"


async def run_keyed(platform: Platform, recheck: Job, subject_id: str, due_at: datetime, *, holder: str = "") -> bool:
    """Run one recheck once for its due time. Returns False when it did not run: already
    done for this due time, or not due yet by the platform's clock. A drain has no key:
    it runs a round whenever asked (its claims keep two rounds apart)."""
    now, due_at = platform.clock.now(), as_utc(due_at)  # one spelling of the key on every database
    if due_at > now:
        # A timer fired early (APScheduler counts wall-clock time, rules count the platform's
        # clock): recording it now would use up the key and the real run would never happen.
        return False
    if isinstance(recheck, Drain):
        await recheck.run(platform)
        return True
    async with platform.db.transaction() as session:
        ledger = JobRun(key=job_key(recheck.kind, subject_id), due_at=due_at, ran_at=now, holder=holder)
        session.add(ledger)
        try:
            await session.flush()
        except IntegrityError:  # another run holds or has committed this key: it is theirs
            await session.rollback()
            return False
        # If the recheck raises, the ledger row rolls back with it, so the next sweep retries.
        ledger.changed = await recheck.run(session, platform, subject_id)
        await session.flush()
    return True


@dataclass(frozen=True)
class SweepReport:
    ran: int
    skipped: int
    failed: int


async def sweep(platform: Platform, registry: Registry, *, holder: str = "") -> SweepReport:
    """Run every recheck that is due now and has not run for its due time."""
    now = platform.clock.now()
    ran = skipped = failed = 0
    # One broken kind or subject must not stop the others; what failed left no ledger row
    # and is retried by the next sweep.
    for recheck, subject_id, due_at in await _due(platform, registry, now):
        try:
            if await run_keyed(platform, recheck, subject_id, due_at, holder=holder):
                ran += 1
            else:
                skipped += 1
        except Exception:
            failed += 1
            log.exception("recheck %s failed", job_key(recheck.kind, subject_id))
    return SweepReport(ran, skipped, failed)


async def upcoming(platform: Platform, registry: Registry, until: datetime) -> list[tuple[Job, str, datetime]]:
    """Rechecks due up to ``until``, so the active scheduler can set a timer for each."""
    return await _due(platform, registry, until)


async def _due(platform: Platform, registry: Registry, moment: datetime) -> list[tuple[Job, str, datetime]]:
    found: list[tuple[Job, str, datetime]] = []
    for recheck in registry.rechecks.values():
        try:
            async with platform.db.transaction(write=False) as session:
                found.extend((recheck, subject, at) for subject, at in await recheck.due(session, moment))
        except Exception:
            log.exception("finding due %s rechecks failed", recheck.kind)
    return found
