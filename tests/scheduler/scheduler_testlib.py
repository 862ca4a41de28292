"""Helpers shared by the scheduler tests (imported by name: the tests have no packages)."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import create_engine, func, select, text, update

from procurement.audit.models import AuditEntry
from procurement.identity.models import User
from procurement.platform import Platform
from procurement.scheduler.lease import ADVISORY_LOCK_KEY
from procurement.scheduler.models import JobRun

UNLOCKED = "identity.account_unlocked"


async def wait_until(predicate: Callable[[], bool | Awaitable[bool]], timeout: float, what: str = "the condition") -> None:
    """Poll until ``predicate`` holds, failing after ``timeout`` seconds.

    It polls because what it waits for happens in another task or process (a scheduler's
    lease campaign, a server's sweep) whose progress this test cannot be told about; the
    deadline only bounds a hang, it is never what an assertion measures.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def lock_account(platform: Platform, user_id: int, until: datetime) -> None:
    """Test set-up: the account is locked until ``until`` (as repeated failed logins do)."""
    async with platform.db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(locked_until=until))


async def locked_until(platform: Platform, user_id: int) -> datetime | None:
    async with platform.db.transaction(write=False) as session:
        return (await session.execute(select(User.locked_until).where(User.id == user_id))).scalar_one()


async def unlock_entries(platform: Platform, user_id: int) -> int:
    async with platform.db.transaction(write=False) as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == UNLOCKED, AuditEntry.subject_id == str(user_id))
        return (await session.execute(query)).scalar_one()


async def job_runs(platform: Platform, key: str) -> list[JobRun]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(JobRun).where(JobRun.key == key))).scalars())


def scheduler_locks(sync_url: str) -> int:
    """How many sessions hold the scheduler's advisory lock in this PostgreSQL database."""
    engine = create_engine(sync_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": ADVISORY_LOCK_KEY},
            ).scalar_one()
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
