"""Exactly one active scheduler across processes.

PostgreSQL: a session-level advisory lock held on a dedicated connection. If the holder
dies its connection closes, the server releases the lock, and a standby's next try takes
it. SQLite: an exclusive ``flock`` on a file beside the database, released by the kernel
when the holding process dies (a SQLite platform runs on one machine by definition).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# An arbitrary 64-bit number that names "the scheduler" among advisory locks.
ADVISORY_LOCK_KEY = 0x5052_4F43_5343_4845  # "PROCSCHE"


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Lease(Protocol):
    async def try_acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


class PostgresLease:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})).scalar()
        except BaseException:  # even when cancelled: the lock may be ours already
            await _discard(conn)
            raise
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = (
                await self._conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                        "AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :key"
                    ),
                    {"key": ADVISORY_LOCK_KEY},
                )
            ).scalar()
        except Exception:  # the connection is gone, and the server let go of the lock with it
            log.warning("scheduler lease connection failed", exc_info=True)
            await self.release()
            return False
        return bool(held)

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            await _discard(conn)


async def _discard(conn: AsyncConnection) -> None:
    """Close the connection for real rather than return it to the pool: a session-level
    advisory lock outlives the pool's reset, and a pooled connection still holding it
    would keep every process from scheduling."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


class FileLease:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def lease_for(database_url: str, engine: AsyncEngine, data_dir: Path) -> Any:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLease(engine)
    database = Path(url.database or (data_dir / "procurement.db"))
    return FileLease(database.with_name(database.name + ".scheduler-lock"))
