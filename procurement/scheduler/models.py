"""Tables of the scheduler: its lease, the ledger of keyed runs, APScheduler's job store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, LargeBinary, String, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class SchedulerLease(SQLModel, table=True):
    """Who holds the scheduler now, for people and probes to see.

    The lease itself is an advisory lock (PostgreSQL) or a file lock (SQLite) that the
    holder's death releases; this row only mirrors it, with a heartbeat.
    """

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    acquired_at: datetime = timestamp()
    heartbeat_at: datetime = timestamp()


class JobRun(SQLModel, table=True):
    """One row per keyed job and due time: inserting it first makes a second run a no-op."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("key", "due_at", name="uq_job_run_key_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, index=True)
    due_at: datetime = timestamp()
    ran_at: datetime = timestamp()
    holder: str = Field(default="", max_length=128)
    changed: bool = Field(default=False)


# APScheduler's SQLAlchemyJobStore table, declared here so that Alembic owns it like every
# other table (the job store's own create-if-missing then finds it and does nothing).
APSCHEDULER_TABLE = "apscheduler_jobs"
apscheduler_jobs = Table(
    APSCHEDULER_TABLE,
    SQLModel.metadata,
    Column("id", String(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
