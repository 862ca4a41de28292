"""What a rule returns (a ``Finding``: one prospective alert with its evidence) and the helpers
every rule uses to write evidence the same way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc
from procurement.identity.models import Organisation


@dataclass
class Finding:
    rule: str
    key: str  # what makes two findings the same alert
    evidence: dict[str, Any]
    organisation_ids: list[int] = field(default_factory=list)
    tender_id: int | None = None
    lot_number: int | None = None
    purchaser_organisation_id: int | None = None


def iso_utc(moment: datetime | None) -> str | None:
    """A moment in evidence: ISO 8601 in UTC, or None."""
    return as_utc(moment).isoformat() if moment else None


async def organisation_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Organisation id -> name, for the evidence (supervisors read names, not ids)."""
    wanted = set(ids) or {0}
    return dict((await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))).all())  # type: ignore[arg-type]


def id_list(ids: Iterable[int]) -> str:
    """A set of ids as it appears in an alert key: sorted, comma-separated, each once."""
    return ",".join(str(i) for i in sorted(set(ids)))
