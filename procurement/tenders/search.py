"""Finding published tenders: filters, keyword, keyset pages newest first.

A page is one statement: the list's columns (no ORM entities), the purchaser's and agency's
names and the number of lots as scalar subqueries, evaluated only for the rows of the page.
Every filter is an equality or a range on ``tender`` itself, so the planner walks one of
the (filter, published_at, id) indexes newest first and stops after a page; the tests hold
both databases to that with their query plans.

A keyword is a substring match (LIKE '%word%'), which no B-tree index can serve. With a
common word the walk still stops after a page; with a rare one it reads the whole
(published_at, id) index, narrowed by any other filter. On PostgreSQL a trigram index
(pg_trgm, ``0008_search_perf``) serves the rare ones; on SQLite a rare keyword over 100,000
tenders costs about a tenth of a second.

The statement is built once per combination of filters, with named parameters, and kept:
SQLAlchemy then finds its compiled form without walking a new statement each request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Select,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.identity.models import Organisation
from procurement.tenders.models import Lot, Tender
from procurement.tenders.service import PUBLIC_STATES

PUBLIC_STATUSES = tuple(sorted(state.value for state in PUBLIC_STATES))
EQUALITY_FILTERS = ("region", "track", "category", "method", "status")


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

    def parameters(self) -> dict[str, Any]:
        """The values of the filters in use, by the names of the statement's parameters."""
        values: dict[str, Any] = {"limit": self.limit}
        for name in EQUALITY_FILTERS:
            if getattr(self, name):
                values[name] = getattr(self, name)
        if self.keyword:
            values["pattern"] = "%" + self.keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if self.published_from:
            values["published_from"] = self.published_from
        if self.published_until:
            values["published_until"] = self.published_until
        if self.budget_min_fen is not None:
            values["budget_min"] = self.budget_min_fen
        if self.budget_max_fen is not None:
            values["budget_max"] = self.budget_max_fen
        if self.after is not None:
            values["after_at"], values["after_id"] = self.after
        return values


# One row of the list: what the public list page and the API's list items show.
_purchaser_name = select(Organisation.name).where(Organisation.id == Tender.purchaser_organisation_id).scalar_subquery()
_agency_name = select(Organisation.name).where(Organisation.id == Tender.agency_organisation_id).scalar_subquery()
_lot_count = select(func.count(Lot.id)).where(Lot.tender_id == Tender.id).scalar_subquery()
LIST_COLUMNS = (
    Tender.id, Tender.code, Tender.title, Tender.track, Tender.category, Tender.method, Tender.region, Tender.budget_fen,
    Tender.status, Tender.green_channel, Tender.purchaser_organisation_id, _purchaser_name.label("purchaser_name"),
    Tender.agency_organisation_id, _agency_name.label("agency_name"), Tender.documents_from, Tender.documents_until,
    Tender.bid_deadline, Tender.published_at, _lot_count.label("lot_count"),
)

# The public states written into the SQL (they are our own constants): an IN of bound values
# would be expanded anew on every execution.
_PUBLIC = text(f"tender.status IN ({', '.join(repr(status) for status in PUBLIC_STATUSES)})")
_statements: dict[frozenset[str], Select[Any]] = {}


def statement(used: frozenset[str]) -> Select[Any]:
    """The page query for this set of filters (names as in ``Search.parameters``)."""
    query = _statements.get(used)
    if query is not None:
        return query
    query = select(*LIST_COLUMNS).where(_PUBLIC, Tender.published_at.is_not(None))
    for name in EQUALITY_FILTERS:
        if name in used:
            column = getattr(Tender, name)
            query = query.where(column == bindparam(name, type_=column.type))
    if "pattern" in used:
        pattern = bindparam("pattern", type_=Tender.title.type)
        query = query.where(or_(Tender.title.like(pattern, escape="\\"), Tender.code.like(pattern, escape="\\")))
    if "published_from" in used:
        query = query.where(Tender.published_at >= bindparam("published_from", type_=Tender.published_at.type))
    if "published_until" in used:
        query = query.where(Tender.published_at < bindparam("published_until", type_=Tender.published_at.type))
    if "budget_min" in used:
        query = query.where(Tender.budget_fen >= bindparam("budget_min", type_=Tender.budget_fen.type))
    if "budget_max" in used:
        query = query.where(Tender.budget_fen <= bindparam("budget_max", type_=Tender.budget_fen.type))
    if "after_at" in used:
        # A row comparison: both databases turn it into a range on the index, however deep the page.
        after = tuple_(bindparam("after_at", type_=Tender.published_at.type), bindparam("after_id", type_=Tender.id.type))
        query = query.where(tuple_(Tender.published_at, Tender.id) < after)
    query = query.order_by(Tender.published_at.desc(), Tender.id.desc()).limit(bindparam("limit", type_=Integer()))
    _statements[used] = query
    return query


def reader(s: Search) -> Callable[[Connection], list[Row[Any]]]:
    """The page as a unit of work for ``Database.read``: published tenders, newest publication first."""
    values = s.parameters()
    query = statement(frozenset(values))
    return lambda conn: list(conn.execute(query, values).all())


async def search(session: AsyncSession, s: Search) -> list[Row[Any]]:
    """The same page read in a request's own session (the home page reads it with other things)."""
    values = s.parameters()
    return list((await session.execute(statement(frozenset(values)), values)).all())
