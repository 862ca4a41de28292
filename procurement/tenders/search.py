"""Finding published tenders: filters, keyword, keyset pages newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.tenders.models import Tender
from procurement.tenders.service import PUBLIC_STATES


@dataclass(frozen=True)
class Search:
    keyword: str = ""
    region: str | None = None
    track: str | None = None
    category: str | None = None
    method: str | None = None
    status: str | None = None
    published_from: datetime | None = None
    published_until: datetime | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    # Keyset cursor: the (published_at, id) of the last tender of the previous page.
    after: tuple[datetime, int] | None = None
    limit: int = 20


async def search(session: AsyncSession, s: Search) -> list[Tender]:
    """Published tenders, newest publication first; only what the public may see."""
    query = select(Tender).where(Tender.status.in_([state.value for state in PUBLIC_STATES]), Tender.published_at.is_not(None))
    if s.keyword:
        pattern = "%" + s.keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Tender.title.like(pattern, escape="\\"), Tender.code.like(pattern, escape="\\")))
    for column, value in (
        (Tender.region, s.region), (Tender.track, s.track), (Tender.category, s.category), (Tender.method, s.method),
        (Tender.status, s.status),
    ):
        if value:
            query = query.where(column == value)
    if s.published_from:
        query = query.where(Tender.published_at >= s.published_from)
    if s.published_until:
        query = query.where(Tender.published_at < s.published_until)
    if s.budget_min_fen is not None:
        query = query.where(Tender.budget_fen >= s.budget_min_fen)
    if s.budget_max_fen is not None:
        query = query.where(Tender.budget_fen <= s.budget_max_fen)
    if s.after is not None:
        at, last_id = s.after
        query = query.where(or_(Tender.published_at < at, and_(Tender.published_at == at, Tender.id < last_id)))
    query = query.order_by(Tender.published_at.desc(), Tender.id.desc()).limit(s.limit)
    return list((await session.execute(query)).scalars())
