"""The trading statistics: measures by period and by region, track, category, method or purchaser.

Three aggregate queries answer any report, each grouped on the database (docs/statistics.md
defines every measure):

- projects: tenders published in the period (count, budget, green channel and its times);
- trades: lots awarded in the period, first summed per project, then per group (amount
  traded, budget, savings, both discount rates, days from entry to award);
- failures: tenders that failed, dated by their last failed-tender notice.

The queries return sums and counts, never averages, so a total is the sum of its groups
and every mean is taken at the end (``Figures``). Statistics read the other domains' tables
and change nothing.

Who sees what: the figures count published facts only (published tenders, awards, failure
notices), so anyone may read them by period, region, track, category and method; the
breakdown by purchasing unit is the supervisors'.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.award.models import AwardLot, LotState
from procurement.actor import Actor
from procurement.errors import Forbidden, InvalidInput
from procurement.identity.models import Organisation, Role
from procurement.mall import orders as mall_orders
from procurement.statistics.periods import Period
from procurement.statistics.sql import UNITS, BeijingBucket, DaysBetween
from procurement.tenders.models import (
    EntryReview,
    Notice,
    NoticeKind,
    Tender,
    TenderStatus,
)

DIMENSIONS: dict[str, Any] = {
    "track": Tender.track, "category": Tender.category, "method": Tender.method, "region": Tender.region,
    "purchaser": Tender.purchaser_organisation_id,
}
# How a report may be grouped: not at all, by time, or by one dimension.
GROUPINGS = ("total", *UNITS, *DIMENSIONS)
PUBLIC_GROUPINGS = tuple(g for g in GROUPINGS if g != "purchaser")
RATE_PLACES = Decimal("0.000001")
TRADED_STATES = (LotState.awarded, LotState.contract_signed)


@dataclass(frozen=True)
class Query:
    period: Period
    group_by: str = "total"
    track: str | None = None
    category: str | None = None
    method: str | None = None
    region: str | None = None
    purchaser_id: int | None = None

    def filters(self) -> list[Any]:
        chosen = {"track": self.track, "category": self.category, "method": self.method, "region": self.region, "purchaser": self.purchaser_id}
        return [DIMENSIONS[name] == value for name, value in chosen.items() if value is not None]


def _ratio(numerator: float, denominator: float) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(str(numerator)) / Decimal(str(denominator))).quantize(RATE_PLACES, ROUND_HALF_EVEN)


@dataclass
class Figures:
    """One group's sums and counts; the means and shares are derived, so groups add up to a total."""

    key: str
    projects: int = 0
    budget_fen: int = 0
    green_projects: int = 0
    green_days_sum: float = 0.0  # submission for entry review → publication, green channel
    green_days_n: int = 0
    normal_days_sum: float = 0.0
    normal_days_n: int = 0
    green_review_seconds_sum: float = 0.0  # the accepted entry review's decision time
    green_review_n: int = 0
    normal_review_seconds_sum: float = 0.0
    normal_review_n: int = 0
    traded_projects: int = 0
    traded_fen: int = 0
    awarded_budget_fen: int = 0
    savings_fen: int = 0
    rate_sum: float = 0.0  # Σ of per-project discount rates
    entry_days_sum: float = 0.0  # entry accepted → first award in the period
    entry_days_n: int = 0
    failed: int = 0
    label: str = field(default="", compare=False)

    def __add__(self, other: Figures) -> Figures:
        summed = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self) if f.name not in ("key", "label")}
        return Figures(key="", **summed)

    @property
    def rate_weighted(self) -> Decimal | None:
        """Amount-weighted discount rate: Σ savings ÷ Σ budget of the awarded lots (成交下浮率 as the seed's government figure)."""
        return _ratio(self.savings_fen, self.awarded_budget_fen)

    @property
    def rate_mean(self) -> Decimal | None:
        """Mean of the per-project rates (each project: its Σ savings ÷ Σ budget), as the seed's works figure."""
        return _ratio(self.rate_sum, self.traded_projects)

    @property
    def entry_to_award_days(self) -> Decimal | None:
        return _ratio(self.entry_days_sum, self.entry_days_n)

    @property
    def green_share(self) -> Decimal | None:
        return _ratio(self.green_projects, self.projects)

    @property
    def green_days(self) -> Decimal | None:
        return _ratio(self.green_days_sum, self.green_days_n)

    @property
    def normal_days(self) -> Decimal | None:
        return _ratio(self.normal_days_sum, self.normal_days_n)

    @property
    def days_saved(self) -> Decimal | None:
        """How much sooner a green-channel project is published after submission, in days (normal − green)."""
        if self.green_days is None or self.normal_days is None:
            return None
        return self.normal_days - self.green_days

    @property
    def time_saved_share(self) -> Decimal | None:
        """The same as a share of the normal time (the seed: "53% less time")."""
        if self.days_saved is None or not self.normal_days:
            return None
        return _ratio(float(self.days_saved), float(self.normal_days))

    @property
    def green_review_hours(self) -> Decimal | None:
        return _ratio(self.green_review_seconds_sum, self.green_review_n * 3600)

    @property
    def normal_review_hours(self) -> Decimal | None:
        return _ratio(self.normal_review_seconds_sum, self.normal_review_n * 3600)


@dataclass(frozen=True)
class Report:
    query: Query
    rows: list[Figures]
    total: Figures
    mall: MallFigures | None


@dataclass(frozen=True)
class MallFigures:
    spend_fen: int
    reference_fen: int  # what the same goods cost at the e-commerce reference prices


async def mall_figures(session: AsyncSession, period: Period) -> MallFigures | None:
    """Mall spend and what the same goods cost at the reference prices, for orders placed in the
    period (the mall's own count: ``procurement.mall.orders.mall_savings``); None with no order,
    so the pages say so rather than show a zero."""
    months = await mall_orders.mall_savings(session, period.start, period.end, "month")
    if not months:
        return None
    return MallFigures(spend_fen=sum(m.paid_fen for m in months), reference_fen=sum(m.reference_fen for m in months))


def _group_key(query: Query, timestamp: Any) -> Any:
    if query.group_by == "total":
        return literal_column("''")
    if query.group_by in UNITS:
        return BeijingBucket(timestamp, query.group_by)
    return DIMENSIONS[query.group_by]


def _grouped(statement: Any, query: Query, key: Any) -> Any:
    """GROUP BY the key; a total is one group, and a constant is no valid GROUP BY on PostgreSQL."""
    return statement if query.group_by == "total" else statement.group_by(key)


def _accepted_review() -> Any:
    """The join to a tender's accepted entry review (进场): one at most, as an accepted tender never goes back to review."""
    return and_(EntryReview.tender_id == Tender.id, EntryReview.decision == "accepted")


def _avg_parts(condition: Any, value: Any) -> tuple[Any, Any]:
    """Sum and count of ``value`` where ``condition`` holds and the value is known."""
    return (func.coalesce(func.sum(case((condition, value))), 0.0),
            func.count(case((and_(condition, value.isnot(None)), 1))))


async def _projects(session: AsyncSession, query: Query) -> dict[str, dict[str, Any]]:
    key = _group_key(query, Tender.published_at)
    to_publication = DaysBetween(Tender.published_at, Tender.submitted_at)
    green, normal = Tender.green_channel.is_(True), Tender.green_channel.is_(False)
    green_days, green_days_n = _avg_parts(green, to_publication)
    normal_days, normal_days_n = _avg_parts(normal, to_publication)
    green_review, green_review_n = _avg_parts(green, EntryReview.elapsed_seconds)
    normal_review, normal_review_n = _avg_parts(normal, EntryReview.elapsed_seconds)
    statement = (
        select(key.label("key"), func.count().label("projects"), func.coalesce(func.sum(Tender.budget_fen), 0).label("budget_fen"),
               func.count(case((green, 1))).label("green_projects"),
               green_days.label("green_days_sum"), green_days_n.label("green_days_n"),
               normal_days.label("normal_days_sum"), normal_days_n.label("normal_days_n"),
               green_review.label("green_review_seconds_sum"), green_review_n.label("green_review_n"),
               normal_review.label("normal_review_seconds_sum"), normal_review_n.label("normal_review_n"))
        .select_from(Tender).outerjoin(EntryReview, _accepted_review())
        .where(Tender.published_at >= query.period.start, Tender.published_at < query.period.end, *query.filters())
    )
    statement = _grouped(statement, query, key)
    return {str(row.key): dict(row._mapping) for row in await session.execute(statement)}


async def _trades(session: AsyncSession, query: Query) -> dict[str, dict[str, Any]]:
    bucketed = query.group_by in UNITS
    per_lot = [AwardLot.tender_id] + ([BeijingBucket(AwardLot.awarded_at, query.group_by).label("bucket")] if bucketed else [])
    project = (
        select(*per_lot, func.sum(AwardLot.award_amount_fen).label("traded_fen"), func.sum(AwardLot.budget_fen).label("budget_fen"),
               func.sum(AwardLot.savings_fen).label("savings_fen"), func.min(AwardLot.awarded_at).label("first_award"))
        .where(AwardLot.state.in_(TRADED_STATES), AwardLot.awarded_at >= query.period.start, AwardLot.awarded_at < query.period.end)
        .group_by(*per_lot).subquery("project")
    )
    key = project.c.bucket if bucketed else _group_key(query, None)
    entry_days = DaysBetween(project.c.first_award, EntryReview.decided_at)
    statement = (
        select(key.label("key"), func.count().label("traded_projects"),
               func.coalesce(func.sum(project.c.traded_fen), 0).label("traded_fen"),
               func.coalesce(func.sum(project.c.budget_fen), 0).label("awarded_budget_fen"),
               func.coalesce(func.sum(project.c.savings_fen), 0).label("savings_fen"),
               func.coalesce(func.sum(project.c.savings_fen * literal(1.0) / func.nullif(project.c.budget_fen, 0)), 0.0).label("rate_sum"),
               func.coalesce(func.sum(entry_days), 0.0).label("entry_days_sum"), func.count(EntryReview.decided_at).label("entry_days_n"))
        .select_from(project).join(Tender, Tender.id == project.c.tender_id).outerjoin(EntryReview, _accepted_review())
        .where(*query.filters())
    )
    statement = _grouped(statement, query, key)
    return {str(row.key): dict(row._mapping) for row in await session.execute(statement)}


async def _failures(session: AsyncSession, query: Query) -> dict[str, dict[str, Any]]:
    # From the failed tenders (few, by the status index) to their failure notices (by tender).
    failed = (
        select(Tender.id.label("tender_id"), func.max(Notice.published_at).label("failed_at"))
        .join(Notice, and_(Notice.tender_id == Tender.id, Notice.kind == NoticeKind.failed))
        .where(Tender.status == TenderStatus.failed, *query.filters()).group_by(Tender.id).subquery("failed")
    )
    key = _group_key(query, failed.c.failed_at)
    statement = (
        select(key.label("key"), func.count().label("failed"))
        .select_from(failed).join(Tender, Tender.id == failed.c.tender_id)
        .where(failed.c.failed_at >= query.period.start, failed.c.failed_at < query.period.end)
    )
    statement = _grouped(statement, query, key)
    return {str(row.key): dict(row._mapping) for row in await session.execute(statement)}


def _buckets(period: Period, unit: str) -> list[str]:
    """Every month, quarter or year of the period, so a chart shows the quiet ones as zero."""
    keys: list[str] = []
    day = date(period.first.year, period.first.month, 1)
    while day <= period.last:
        label = {"month": f"{day:%Y-%m}", "quarter": f"{day.year}-Q{(day.month + 2) // 3}", "year": f"{day.year}"}[unit]
        if label not in keys:
            keys.append(label)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return keys


# Each measure's Python type: PostgreSQL sums bigints as numeric (Decimal), SQLite as int or float.
_KINDS = {f.name: type(f.default) for f in fields(Figures) if f.name not in ("key", "label")}


def authorise(actor: Actor | None, query: Query) -> None:
    if query.group_by not in GROUPINGS:
        raise InvalidInput.for_field("query.group_by", "must be one of %(options)s", options=", ".join(GROUPINGS))
    if (query.group_by == "purchaser" or query.purchaser_id is not None) and not (actor and actor.has(Role.supervisor)):
        raise Forbidden("the figures by purchasing unit are for supervisors")


async def report(session: AsyncSession, actor: Actor | None, query: Query) -> Report:
    """The figures of ``query``'s period, grouped as it asks, with their total."""
    authorise(actor, query)
    parts = [await _projects(session, query), await _trades(session, query), await _failures(session, query)]
    keys = _buckets(query.period, query.group_by) if query.group_by in UNITS else []
    keys += sorted({k for part in parts for k in part} - set(keys))
    rows = [Figures(key=k, **{n: _KINDS[n](v) for part in parts for n, v in part.get(k, {}).items() if n in _KINDS}) for k in keys]
    total = sum(rows, Figures(key=""))
    if query.group_by == "purchaser":
        found = dict((await session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_([int(r.key) for r in rows] or [0]))
        )).all())
        for row in rows:
            row.label = found.get(int(row.key), row.key)
    return Report(query=query, rows=rows, total=total, mall=await mall_figures(session, query.period))


def percent(rate: Decimal | None) -> str:
    """A rate as a percentage with two places ("2.77"), or "" when there is nothing to divide."""
    return "" if rate is None else f"{(rate * 100).quantize(Decimal('0.01'), ROUND_HALF_EVEN)}"

