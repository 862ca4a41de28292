"""Two ``procurement serve`` processes on one PostgreSQL database: one scheduler at a time,
and when its process is killed the other takes over; no due job is lost or run twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from scheduler_testlib import (
    free_port,
    job_runs,
    lock_account,
    locked_until,
    scheduler_locks,
    unlock_entries,
    wait_until,
)

from procurement.clock import SystemClock
from procurement.db import sync_url
from procurement.identity.jobs import ACCOUNT_UNLOCK
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.scheduler.framework import job_key
from procurement.scheduler.models import SchedulerLease
from procurement.settings import Settings
from tests.conftest import Users

pytestmark = pytest.mark.slow

CHEAP = {"PROCUREMENT_ARGON2_MEMORY_KIB": "1024", "PROCUREMENT_ARGON2_ITERATIONS": "1", "PROCUREMENT_ARGON2_LANES": "1"}


class Server:
    def __init__(self, name: str, tmp_path: Path, database_url: str, keys_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = tmp_path / f"{name}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("PROCUREMENT_")}
        env |= CHEAP | {
            "PROCUREMENT_DATABASE_URL": database_url,
            "PROCUREMENT_DATA_DIR": str(tmp_path / name),
            "PROCUREMENT_KEYS_DIR": str(keys_dir),
            "PROCUREMENT_SWEEP_INTERVAL_SECONDS": "1",
            "PROCUREMENT_SCHEDULER_POLL_SECONDS": "1",
            "PROCUREMENT_LOG_JSON": "false",
            "PROCUREMENT_LOG_LEVEL": "INFO",
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "procurement", "serve", "--port", str(self.port), "--no-migrate"],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}")
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                return (await client.get(f"http://127.0.0.1:{self.port}/health")).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def _lease_holder_pid(platform: Platform) -> int | None:
    async with platform.db.transaction(write=False) as session:
        row = await session.get(SchedulerLease, "scheduler")
    return None if row is None else int(row.holder.rsplit(":", 1)[1])


async def _overdue_lock(platform: Platform, users: Users) -> int:
    """A locked account whose lock ended a moment ago (set directly: this is set-up)."""
    user = await users.make(Role.supplier)
    await lock_account(platform, user.user_id, datetime.now(UTC) - timedelta(seconds=1))
    return user.user_id


async def _unlocked_by(platform: Platform, user_id: int) -> str:
    """The holder that ran the unlock, after checking it ran exactly once."""
    assert await locked_until(platform, user_id) is None
    assert await unlock_entries(platform, user_id) == 1
    [ledger] = await job_runs(platform, job_key(ACCOUNT_UNLOCK.kind, str(user_id)))
    return ledger.holder


async def test_one_scheduler_across_two_processes_and_the_survivor_takes_over(postgres_url: str, tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    # Our own view of the database, on the real clock like the servers; it also creates the
    # shared keys before either server starts, so they do not race to create them.
    platform = Platform.build(
        Settings(data_dir=tmp_path / "test", database_url=postgres_url, keys_dir=str(keys_dir), argon2_memory_kib=1024,
                 argon2_iterations=1, argon2_lanes=1),
        clock=SystemClock(),
    )
    users = Users(platform)
    servers = [Server(name, tmp_path, postgres_url, keys_dir) for name in ("first", "second")]
    try:
        await wait_until(lambda: _all_answer(servers), timeout=30, what="both servers to answer /health")
        await wait_until(lambda: _lease_holder_pid(platform), timeout=10, what="a scheduler to take the lease")
        assert scheduler_locks(sync_url(postgres_url)) == 1
        by_pid = {server.pid: server for server in servers}
        holder = by_pid[await _lease_holder_pid(platform)]
        [survivor] = [server for server in servers if server is not holder]

        first = await _overdue_lock(platform, users)
        await wait_until(lambda: _is_unlocked(platform, first), timeout=10, what="the holder to unlock the account")
        assert (await _unlocked_by(platform, first)).endswith(f":{holder.pid}")

        holder.process.send_signal(signal.SIGKILL)  # no shutdown, no release: the server sees the session end
        holder.process.wait(timeout=10)
        second = await _overdue_lock(platform, users)
        await wait_until(lambda: _is_unlocked(platform, second), timeout=15, what="the survivor to unlock the account")
        assert await _lease_holder_pid(platform) == survivor.pid
        assert scheduler_locks(sync_url(postgres_url)) == 1
        assert (await _unlocked_by(platform, second)).endswith(f":{survivor.pid}")
        assert (await _unlocked_by(platform, first)).endswith(f":{holder.pid}")  # not run again by the survivor
    finally:
        for server in servers:
            server.stop()
        await platform.close()
        for server in servers:  # shown by pytest only when the test fails
            print(f"===== {server.name} (pid {server.pid}, exit {server.process.returncode}) =====")
            print(server.log.read_text(errors="replace"))


async def _all_answer(servers: list[Server]) -> bool:
    return all([await server.answers() for server in servers])


async def _is_unlocked(platform: Platform, user_id: int) -> bool:
    return await locked_until(platform, user_id) is None
