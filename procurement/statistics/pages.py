"""Statistics pages: the public summary, the supervisors' report, and the supervisors' per-period PDF."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.clock import to_display
from procurement.documents import PdfRenderer
from procurement.errors import DomainError
from procurement.i18n import gettext, language_var
from procurement.platform import Platform
from procurement.statistics import charts, export, lines, records, service
from procurement.statistics.controllers import build_query, today_of
from procurement.statistics.service import Query, Report
from procurement.supervision.controllers import SUPERVISORS
from procurement.supervision.pages import alert_row
from procurement.tenders.manage_pages import errors_of
from procurement.tenders.pages import (
    CATEGORY_LABELS,
    METHOD_LABELS,
    TRACK_LABELS,
    label,
    yuan,
)
from procurement.web.deps import CurrentActor, DbSession, OptionalActor, PlatformDep
from procurement.web.pages import page

FIELDS = ("from", "to", "month", "quarter", "year", "group_by", "track", "category", "method", "region")
TEN_THOUSAND_FEN = Decimal(10_000 * 100)


# The filters arrive as text; build_query checks them and names the field in its error.
Text = Annotated[str, QueryParameter(max_length=20)]
PeriodFrom = Annotated[str, QueryParameter(name="from", max_length=20)]
PeriodTo = Annotated[str, QueryParameter(name="to", max_length=20)]


def _charts(report: Report, by_track: Report) -> list[charts.Chart]:
    """Amount traded per group (a line over time, bars otherwise) and the two discount rates side by side."""
    source = report if report.query.group_by != "total" else by_track
    group_by = source.query.group_by
    names = [export.group_label(group_by, f) for f in source.rows]
    kind = "line" if group_by in ("month", "quarter", "year") else "bar"
    amount = charts.chart(
        "chart-amount", kind, gettext("Amount traded (CNY 10,000)"),
        gettext("Amount traded in each group of the period, in units of 10,000 yuan; the table below the chart has the figures."),
        gettext("CNY 10,000"), names, [charts.Series(gettext("Amount traded"), [(Decimal(f.traded_fen) / TEN_THOUSAND_FEN).quantize(Decimal("0.01"))
                                                                               for f in source.rows])])
    rates = charts.chart(
        "chart-rates", "bar", gettext("Discount rates (%)"),
        gettext("For each group, the amount-weighted discount rate and the mean of per-project rates, in per cent."),
        "%", names, [charts.Series(gettext("Amount-weighted"), [_percent(f.rate_weighted) for f in source.rows]),
                     charts.Series(gettext("Mean of projects"), [_percent(f.rate_mean) for f in source.rows])])
    return [amount, rates]


def _percent(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else Decimal(service.percent(rate))


async def _statistics_page(request: Request, session: AsyncSession, platform: Platform, actor: Actor | None, values: dict[str, str],
                           *, supervisor: bool) -> Template:
    values = {name: value.strip() for name, value in values.items()}
    values["group_by"] = values.get("group_by") or "month"
    errors: list[tuple[str, str]] = []
    try:
        query = build_query(today_of(platform), values)
        service.authorise(actor, query)
    except DomainError as exc:
        errors = [(name.removeprefix("query."), message) for name, message in errors_of(exc)]
        query = Query(period=build_query(today_of(platform), {}).period, group_by="month")
    report = await service.report(session, actor, query)
    by_track = report if query.group_by == "track" else await service.report(session, actor, Query(**{**query.__dict__, "group_by": "track"}))
    groupings = service.GROUPINGS if supervisor else service.PUBLIC_GROUPINGS
    shown = {name: values.get(name, "") for name in FIELDS + (("purchaser_id",) if supervisor else ())}
    export_query = urlencode({k: v for k, v in shown.items() if v})
    return page(
        request, "statistics/report.html", supervisor=supervisor, report=report, values=shown, errors=errors,
        table=export.table(report), charts=_charts(report, by_track), total=report.total, percent=service.percent, yuan=yuan,
        lines={rate: {"zh": lines.year_lines(by_track, "zh", rate=rate), "en": lines.year_lines(by_track, "en", rate=rate)} for rate in lines.RATES},
        group_options=[(g, gettext(export.GROUP_HEADINGS[g])) for g in groupings],
        options={"track": _options(TRACK_LABELS), "category": _options(CATEGORY_LABELS), "method": _options(METHOD_LABELS)},
        export_query=export_query, period=query.period,
    )


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [("", gettext("All"))] + [(code, label(labels, code)) for code in labels]


class StatisticsPages(Controller):
    tags = ["Pages"]

    @get("/statistics", summary="The public statistics summary: aggregate figures by period, region, track, category and method")
    async def summary(self, request: Request, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor,
                      first: PeriodFrom = "", last: PeriodTo = "", month: Text = "", quarter: Text = "",
                      year: Text = "", group_by: Text = "", track: Text = "",
                      category: Text = "", method: Text = "", region: Text = "") -> Template:
        values = {"from": first, "to": last, "month": month, "quarter": quarter, "year": year, "group_by": group_by, "track": track,
                  "category": category, "method": method, "region": region}
        if values["group_by"] == "purchaser":  # not offered here; the form says so instead of a refusal page
            values["group_by"] = "month"
        return await _statistics_page(request, session, platform, None, values, supervisor=False)


class SupervisionStatisticsPages(Controller):
    tags = ["Pages"]
    guards = [SUPERVISORS]

    @get("/supervision/statistics", summary="The supervisors' statistics report: filters, charts, tables, the breakdown by purchasing unit")
    async def report(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     first: PeriodFrom = "", last: PeriodTo = "", month: Text = "", quarter: Text = "",
                     year: Text = "", group_by: Text = "", track: Text = "",
                     category: Text = "", method: Text = "", region: Text = "",
                     purchaser_id: Text = "") -> Template:
        values = {"from": first, "to": last, "month": month, "quarter": quarter, "year": year, "group_by": group_by, "track": track,
                  "category": category, "method": method, "region": region, "purchaser_id": purchaser_id}
        return await _statistics_page(request, session, platform, actor, values, supervisor=True)

    @get("/supervision/reports/period.pdf", media_type="application/pdf",
         summary="A period's report as a PDF for the supervision platform",
         description="The period's figures by track and the seed's lines, the risk alerts raised, the blacklist entries put in force "
         "and the tenders failed in it. The period: `from` and `to` (Beijing dates), or `month`, `quarter` or `year`.")
    async def period_pdf(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                         first: PeriodFrom = "", last: PeriodTo = "", month: Text = "", quarter: Text = "",
                         year: Text = "") -> Response[bytes]:
        query = build_query(today_of(platform), {"from": first, "to": last, "month": month, "quarter": quarter, "year": year, "group_by": "track"})
        report = await service.report(session, actor, query)
        found = await records.period_records(session, actor, query.period)
        renderer: PdfRenderer = state.pdf
        pdf = await renderer.render("pdf/period_report.html", {
            "period": query.period, "table": export.table(report), "lines": {rate: lines.year_lines(report, language_var.get(), rate=rate)
                                                                             for rate in lines.RATES},
            "alerts": [alert_row(a) for a in found.alerts], "alerts_total": found.alerts_total, "entries": found.entries,
            "failed": [{"code": t.code, "title": t.title, "track": label(TRACK_LABELS, t.track), "at": at, "reason": t.closed_reason}
                       for t, at in found.failed],
            "generated_at": to_display(platform.clock.now()), "lang": language_var.get(), "base_url": platform.settings.base_url,
        })
        name = f"supervision-period-{query.period.first.isoformat()}-{query.period.last.isoformat()}.pdf"
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
