"""The single-scheduler lease: a file lock between processes on SQLite, an advisory lock on
PostgreSQL; either one passes on when its holder dies."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from scheduler_testlib import scheduler_locks, wait_until
from sqlalchemy import text

from procurement.db import make_engine, sync_url
from procurement.scheduler.lease import FileLease, PostgresLease


def _other_process_acquires(path: Path) -> bool:
    """Whether a separate process can take the file lease at ``path`` right now."""
    snippet = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from procurement.scheduler.lease import FileLease
        print(asyncio.run(FileLease(Path({str(path)!r})).try_acquire()))
        """
    )
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=30, check=True)
    return {"True": True, "False": False}[done.stdout.strip()]


async def test_file_lease_keeps_other_processes_out_until_released(tmp_path: Path) -> None:
    path = tmp_path / "procurement.db.scheduler-lock"
    lease = FileLease(path)
    assert await lease.try_acquire()
    try:
        assert await lease.still_held()
        assert _other_process_acquires(path) is False
        # flock belongs to the open file, so a second lease object in this process is refused too.
        assert await FileLease(path).try_acquire() is False
    finally:
        await lease.release()
    assert not await lease.still_held()
    assert _other_process_acquires(path) is True


def _holder_process(path: Path) -> subprocess.Popen[str]:
    """A process that takes the file lease, says whether it got it, and keeps it."""
    snippet = textwrap.dedent(
        f"""
        import asyncio, time
        from pathlib import Path
        from procurement.scheduler.lease import FileLease
        print(asyncio.run(FileLease(Path({str(path)!r})).try_acquire()), flush=True)
        time.sleep(120)
        """
    )
    return subprocess.Popen([sys.executable, "-c", snippet], stdout=subprocess.PIPE, text=True)


async def test_file_lease_passes_on_when_its_holder_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "procurement.db.scheduler-lock"
    holder = _holder_process(path)
    try:
        assert await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), timeout=30) == "True\n"
        assert await FileLease(path).try_acquire() is False
        holder.send_signal(signal.SIGKILL)  # no release, no clean-up: only the kernel lets go
        holder.wait(timeout=10)
        lease = FileLease(path)
        assert await lease.try_acquire() is True
        await lease.release()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


async def test_postgres_lease_has_one_holder_and_passes_on_when_released(postgres_url: str) -> None:
    engines = [make_engine(postgres_url), make_engine(postgres_url)]
    first, second = (PostgresLease(engine) for engine in engines)
    try:
        assert await first.try_acquire()
        assert await second.try_acquire() is False
        assert await first.still_held() and not await second.still_held()
        assert scheduler_locks(sync_url(postgres_url)) == 1

        await first.release()
        assert not await first.still_held()
        assert scheduler_locks(sync_url(postgres_url)) == 0
        assert await second.try_acquire()
        assert await second.still_held()
        # The standby's failed tries left no lock behind on its pooled connections.
        assert scheduler_locks(sync_url(postgres_url)) == 1
    finally:
        await first.release()
        await second.release()
        for engine in engines:
            await engine.dispose()


async def test_postgres_lease_passes_on_when_the_holders_connection_dies(postgres_url: str) -> None:
    engines = [make_engine(postgres_url), make_engine(postgres_url), make_engine(postgres_url)]
    holder, standby = PostgresLease(engines[0]), PostgresLease(engines[1])
    try:
        assert await holder.try_acquire()
        assert await standby.try_acquire() is False
        # What the server sees when the holder's process dies: its session ends.
        async with engines[2].connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        # Termination is asynchronous on the server: poll the standby's tries.
        await wait_until(standby.try_acquire, timeout=10, what="the standby to take the lease")
        assert await standby.still_held()
        assert await holder.still_held() is False  # the holder notices, without raising
    finally:
        await holder.release()
        await standby.release()
        for engine in engines:
            await engine.dispose()
