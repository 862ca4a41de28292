"""Database engines and sessions.

One transaction per unit of work (a request, a CLI command, a scheduled job), owned by
whoever opened the session: services only ``flush()``.

SQLite allows one writer at a time. A transaction that reads and then writes can fail with
"database is locked" if another writer committed in between, so on SQLite write sessions
start with ``BEGIN IMMEDIATE`` (take the write lock first, wait for it with a busy
timeout) and read-only sessions use a second engine with ordinary deferred transactions,
which WAL lets run alongside the writer. PostgreSQL needs no such split.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

# Stable constraint names, so that migrations can refer to them on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15000
SQLITE_READ_THREADS = 2
T = TypeVar("T")


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (Alembic, APScheduler's job store)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"PROCUREMENT_DATABASE_URL: unsupported database {backend!r} (use sqlite or postgresql)")


def _configure_sqlite(engine: AsyncEngine | Engine, *, immediate: bool) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions are off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a committed transaction survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, write: bool = True, **kwargs: Any) -> AsyncEngine:
    if _is_sqlite(url):
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine, immediate=write)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, **kwargs)


class Database:
    """The platform's engines and session factories."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = _is_sqlite(url)
        self.writer = make_engine(url, write=True)
        self.reader = make_engine(url, write=False) if self.is_sqlite else self.writer
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)
        # SQLite: a short read runs whole in one trip to a worker thread on a synchronous
        # connection. aiosqlite makes a thread trip per cursor call (about eight for one query
        # in a transaction), and under load those wake-ups cost more than the query itself.
        self._sqlite_reader = create_engine(sync_url(url)) if self.is_sqlite else None
        if self._sqlite_reader is not None:
            _configure_sqlite(self._sqlite_reader, immediate=False)
        # Few threads: more only fight the event loop for the GIL (p99 40 ms with six under the
        # tender_search benchmark, 23 ms with two); two, so that one slow read stalls no other.
        self._read_threads = (
            ThreadPoolExecutor(max_workers=SQLITE_READ_THREADS, thread_name_prefix="sqlite-read") if self.is_sqlite else None
        )
        # The same for short hot writes (``write``): one thread, since SQLite has one writer anyway.
        self._sqlite_writer = create_engine(sync_url(url)) if self.is_sqlite else None
        if self._sqlite_writer is not None:
            _configure_sqlite(self._sqlite_writer, immediate=True)
        self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-write") if self.is_sqlite else None

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run read-only ``work`` (synchronous Core calls) on a connection of its own, then roll back.

        For hot public reads (the tender search): one worker-thread trip on SQLite, one greenlet
        on PostgreSQL. ``work`` sees committed data only, never the request's own session.
        """
        if self._sqlite_reader is not None:
            return await asyncio.get_running_loop().run_in_executor(self._read_threads, self._read_sqlite, work)  # type: ignore[arg-type]
        async with self.reader.connect() as conn:
            return await conn.run_sync(work)

    def _read_sqlite(self, work: Callable[[Connection], T]) -> T:
        assert self._sqlite_reader is not None
        with self._sqlite_reader.connect() as conn:
            return work(conn)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` (synchronous ORM calls) in a write transaction of its own, committed before returning.

        For short hot writes that must commit on their own (the credit check kept at every bid):
        on SQLite one worker-thread trip for the whole transaction instead of aiosqlite's trip per
        cursor call, which cost more than the statements; on PostgreSQL one greenlet through
        ``AsyncSession.run_sync``. Objects come back detached, with their attributes loaded.
        Never call it while this task holds SQLite's write lock in another session: it would
        wait for that lock until the busy timeout.
        """
        if self._sqlite_writer is not None:
            return await asyncio.get_running_loop().run_in_executor(self._write_thread, self._write_sqlite, work)
        async with self._write_sessions() as session:
            try:
                result = await session.run_sync(work)
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            return result

    def _write_sqlite(self, work: Callable[[Session], T]) -> T:
        assert self._sqlite_writer is not None
        with Session(self._sqlite_writer, expire_on_commit=False) as session, session.begin():
            return work(session)

    def sessionmaker(self, *, write: bool = True) -> async_sessionmaker[AsyncSession]:
        return self._write_sessions if write else self._read_sessions

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A session whose work commits at the end of the block, or rolls back on error.

        An error that carries ``kept`` work (``DomainError.kept``) has that work committed on its
        own after the rollback, when this task no longer holds any lock (SQLite's write lock
        included).
        """
        async with self.sessionmaker(write=write)() as session:
            try:
                yield session
            except BaseException as error:
                await session.rollback()
                kept = getattr(error, "kept", None)
                if kept is not None:
                    await self.write(kept)
                raise
            await session.commit()

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
        for threads in (self._read_threads, self._write_thread):
            if threads is not None:
                threads.shutdown(wait=True)
        for engine in (self._sqlite_reader, self._sqlite_writer):
            if engine is not None:
                engine.dispose()
