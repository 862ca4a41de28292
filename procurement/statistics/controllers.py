"""Statistics API: the figures as JSON, CSV and Excel, for anyone; by purchasing unit for supervisors."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from pydantic import BaseModel, Field

from procurement.clock import to_display
from procurement.errors import InvalidInput
from procurement.platform import Platform
from procurement.statistics import export, lines, periods, service
from procurement.statistics.service import Figures, Query, Report
from procurement.tenders.money import to_yuan
from procurement.tenders.rules import Category, Method, Track
from procurement.web.deps import MAX_ID, DbSession, OptionalActor, PlatformDep

REGION = re.compile(r"^[0-9]{6}$")
_CHOICES = {"track": {t.value for t in Track}, "category": {c.value for c in Category}, "method": {m.value for m in Method}}


def build_query(today: date, values: dict[str, str]) -> Query:
    """The report a request asks for, from its query fields as text; InvalidInput names a wrong field."""
    period = periods.parse(first=values.get("from", ""), last=values.get("to", ""), month=values.get("month", ""),
                           quarter=values.get("quarter", ""), year=values.get("year", ""), default=periods.this_year(today))
    group_by = values.get("group_by") or "total"
    if group_by not in service.GROUPINGS:
        raise InvalidInput.for_field("query.group_by", "must be one of %(options)s", options=", ".join(service.GROUPINGS))
    for name, allowed in _CHOICES.items():
        if values.get(name) and values[name] not in allowed:
            raise InvalidInput.for_field(f"query.{name}", "must be one of %(options)s", options=", ".join(sorted(allowed)))
    if values.get("region") and not REGION.match(values["region"]):
        raise InvalidInput.for_field("query.region", "must be a region code of 6 digits, such as 460100")
    purchaser = values.get("purchaser_id") or ""
    if purchaser and (not purchaser.isdigit() or not 1 <= int(purchaser) <= MAX_ID):
        raise InvalidInput.for_field("query.purchaser_id", "must be an organisation's id")
    return Query(period=period, group_by=group_by, track=values.get("track") or None, category=values.get("category") or None,
                 method=values.get("method") or None, region=values.get("region") or None, purchaser_id=int(purchaser) if purchaser else None)


def today_of(platform: Platform) -> date:
    return to_display(platform.clock.now()).date()


async def provide_query(
    platform: PlatformDep,
    first: Annotated[str, QueryParameter(name="from", max_length=10, description="first day (Beijing date), with `to`")] = "",
    last: Annotated[str, QueryParameter(name="to", max_length=10, description="last day, inclusive")] = "",
    month: Annotated[str, QueryParameter(max_length=7, description="a month instead, such as 2026-03")] = "",
    quarter: Annotated[str, QueryParameter(max_length=7, description="a quarter instead, such as 2026-Q1")] = "",
    year: Annotated[str, QueryParameter(max_length=4, description="a year instead, such as 2026; no period at all: this year")] = "",
    group_by: Annotated[str, QueryParameter(
        pattern="^(" + "|".join(service.GROUPINGS) + ")$",
        description="one row per month, quarter, year, track, category, method, region or purchaser (supervisors)",
    )] = "total",
    track: Track | None = None,
    category: Category | None = None,
    method: Method | None = None,
    region: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{6}$")] = None,
    purchaser_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="one purchasing unit (supervisors)")] = None,
) -> Query:
    values = {"from": first, "to": last, "month": month, "quarter": quarter, "year": year, "group_by": group_by, "track": track or "",
              "category": category or "", "method": method or "", "region": region or "", "purchaser_id": str(purchaser_id or "")}
    return build_query(today_of(platform), values)


class FiguresOut(BaseModel):
    key: str = Field(description="the group: a month (2026-03), quarter (2026-Q1), year, code, or purchaser id; empty for the total")
    label: str = Field(description="the group as people read it, in the request's language")
    projects: int = Field(description="tenders published in the period")
    budget: Decimal
    traded_projects: int = Field(description="projects with a lot awarded in the period")
    traded: Decimal = Field(description="Σ award amounts of the lots awarded in the period, yuan")
    awarded_budget: Decimal
    savings: Decimal
    rate_weighted: Decimal | None = Field(description="Σ savings ÷ Σ budget of the awarded lots, a fraction")
    rate_mean: Decimal | None = Field(description="mean over projects of each project's Σ savings ÷ Σ budget, a fraction")
    failed: int
    entry_to_award_days: Decimal | None
    green_projects: int
    green_share: Decimal | None
    green_days_to_publication: Decimal | None
    normal_days_to_publication: Decimal | None
    days_saved: Decimal | None
    time_saved_share: Decimal | None
    green_review_hours: Decimal | None
    normal_review_hours: Decimal | None


class MallOut(BaseModel):
    spend: Decimal = Field(examples=["8598.00"])
    reference: Decimal = Field(description="the same goods at the e-commerce reference prices (else the agreed ceiling)", examples=["9000.00"])
    savings: Decimal = Field(examples=["402.00"])


class StatisticsOut(BaseModel):
    first: date = Field(description="the period's first day (Beijing date)")
    last: date
    group_by: str
    rows: list[FiguresOut]
    total: FiguresOut
    mall: MallOut | None = Field(description="mall spend, its cost at the reference prices and the savings; null with no order in the period")
    year_lines: dict[str, dict[str, str]] | None = Field(
        default=None, description="with group_by=track: the seed's report lines, {zh|en: {weighted|mean|seed: line}}")


def figures_out(report: Report, figures: Figures) -> FiguresOut:
    return FiguresOut(
        key=figures.key, label=export.group_label(report.query.group_by, figures) if figures.key else "", projects=figures.projects,
        budget=to_yuan(figures.budget_fen), traded_projects=figures.traded_projects, traded=to_yuan(figures.traded_fen),
        awarded_budget=to_yuan(figures.awarded_budget_fen), savings=to_yuan(figures.savings_fen), rate_weighted=figures.rate_weighted,
        rate_mean=figures.rate_mean, failed=figures.failed, entry_to_award_days=figures.entry_to_award_days, green_projects=figures.green_projects,
        green_share=figures.green_share, green_days_to_publication=figures.green_days, normal_days_to_publication=figures.normal_days,
        days_saved=figures.days_saved, time_saved_share=figures.time_saved_share, green_review_hours=figures.green_review_hours,
        normal_review_hours=figures.normal_review_hours,
    )


def statistics_out(report: Report) -> StatisticsOut:
    year_lines = None
    if report.query.group_by == "track":
        year_lines = {lang: {rate: lines.year_lines(report, lang, rate=rate) for rate in lines.RATES} for lang in ("zh", "en")}
    return StatisticsOut(
        first=report.query.period.first, last=report.query.period.last, group_by=report.query.group_by,
        rows=[figures_out(report, f) for f in report.rows], total=figures_out(report, report.total),
        mall=None if report.mall is None else MallOut(spend=to_yuan(report.mall.spend_fen), reference=to_yuan(report.mall.reference_fen),
                                                      savings=to_yuan(report.mall.reference_fen - report.mall.spend_fen)),
        year_lines=year_lines,
    )


def _filename(query: Query, suffix: str) -> str:
    return f"statistics-{query.period.first.isoformat()}-{query.period.last.isoformat()}-{query.group_by}.{suffix}"


class StatisticsController(Controller):
    path = "/api"
    tags = ["Statistics"]
    dependencies = {"statistics_query": Provide(provide_query)}

    @get("/statistics", summary="Trading statistics for a period, grouped and filtered",
         description="Published facts only: tenders published, lots awarded, tenders failed in the period (docs/statistics.md "
         "defines each measure). Grouping or filtering by purchasing unit is for supervisors (403 otherwise).")
    async def figures(self, session: DbSession, optional_actor: OptionalActor, statistics_query: NamedDependency[Query]) -> StatisticsOut:
        return statistics_out(await service.report(session, optional_actor, statistics_query))

    @get("/statistics.csv", summary="The same figures as CSV (UTF-8 with a BOM; headings in the request's language)",
         media_type="text/csv; charset=utf-8")
    async def csv(self, session: DbSession, optional_actor: OptionalActor, statistics_query: NamedDependency[Query]) -> Response[str]:
        report = await service.report(session, optional_actor, statistics_query)
        return Response(export.to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{_filename(statistics_query, "csv")}"'})

    @get("/statistics.xlsx", summary="The same figures as an Excel workbook",
         media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    async def xlsx(self, session: DbSession, optional_actor: OptionalActor, statistics_query: NamedDependency[Query]) -> Response[bytes]:
        report = await service.report(session, optional_actor, statistics_query)
        return Response(export.to_xlsx(report), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{_filename(statistics_query, "xlsx")}"'})
