"""Helpers for audit tests: fill a log, and tamper with it as someone with database access would."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from procurement.audit import chain, offline
from procurement.audit import service as audit
from procurement.audit.models import AuditEntry
from procurement.db import sync_url
from procurement.keys import verifier_for
from procurement.platform import Platform


async def fill_log(platform: Platform, count: int, *, checkpoint_every: int | None = None) -> None:
    for i in range(1, count + 1):
        async with platform.db.transaction() as session:
            await audit.record(session, platform.clock, None, "test.action", subject_type="thing", subject_id=i, details={"n": i, "名称": "测试"})
            if checkpoint_every and i % checkpoint_every == 0:
                await audit.sign_checkpoint(session, platform.clock, platform.keys)


def verify_database(platform: Platform) -> chain.Problem | None:
    """The same check as `procurement audit verify`."""
    with offline.open_log(platform.db.url) as session:
        return chain.verify_log(
            offline.entries(session), offline.checkpoints(session), verifier_for(platform.keys.public_key), head=offline.head(session)
        )


class Tamperer:
    """Direct SQL, with the append-only triggers dropped first: what an insider with the
    database password could do. The audit log cannot prevent it; it must reveal it."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(sync_url(url))
        self.dialect = self.engine.dialect.name
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("DROP TRIGGER audit_entry_append_only ON audit_entry"))
                conn.execute(text("DROP TRIGGER audit_checkpoint_append_only ON audit_checkpoint"))
            else:
                for table in ("audit_entry", "audit_checkpoint"):
                    for verb in ("update", "delete"):
                        conn.execute(text(f"DROP TRIGGER {table}_no_{verb}"))

    def execute(self, sql: str, **params: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)

    def row(self, seq: int) -> dict:
        """An entry as the verifier sees it (typed fields, not raw SQLite text)."""
        with Session(self.engine) as session:
            entry = session.get(AuditEntry, seq)
            assert entry is not None
            return audit.entry_fields(entry)

    def close(self) -> None:
        # The PostgreSQL test database outlives the test: put the guard back.
        if self.dialect == "postgresql":
            with self.engine.begin() as conn:
                for table in ("audit_entry", "audit_checkpoint"):
                    conn.execute(
                        text(
                            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()"
                        )
                    )
        self.engine.dispose()


@pytest.fixture
def tamperer(platform: Platform):  # noqa: ANN201
    t = Tamperer(platform.db.url)
    yield t
    t.close()
