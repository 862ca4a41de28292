"""A report as a table (headings and rows in the reader's language), and that table as CSV and Excel.

One table serves the pages, the PDF and both downloads, so they always show the same
columns. Amounts are yuan with two places, rates and shares percentages with two, times
days or hours with two; an empty cell means there was nothing to divide.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from procurement.errors import N_
from procurement.i18n import gettext
from procurement.statistics.service import Figures, Report, percent
from procurement.tenders.money import to_yuan
from procurement.tenders.pages import (
    CATEGORY_LABELS,
    METHOD_LABELS,
    TRACK_LABELS,
    label,
)

TWO = Decimal("0.01")
GROUP_HEADINGS = {
    "total": N_("All"), "month": N_("Month"), "quarter": N_("Quarter"), "year": N_("Year"), "track": N_("Track"),
    "category": N_("Category"), "method": N_("Procurement method"), "region": N_("Region code"), "purchaser": N_("Purchasing unit"),
}
_CODE_LABELS = {"track": TRACK_LABELS, "category": CATEGORY_LABELS, "method": METHOD_LABELS}


def _two(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TWO)


def _pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(percent(value))


@dataclass(frozen=True)
class Column:
    key: str  # stable, for the API and tests
    heading: str  # message id
    value: Callable[[Figures], int | Decimal | None]
    money: bool = False


COLUMNS = (
    Column("projects", N_("Projects published"), lambda f: f.projects),
    Column("budget", N_("Budget of projects (yuan)"), lambda f: to_yuan(f.budget_fen), money=True),
    Column("traded_projects", N_("Projects traded"), lambda f: f.traded_projects),
    Column("traded", N_("Amount traded (yuan)"), lambda f: to_yuan(f.traded_fen), money=True),
    Column("awarded_budget", N_("Budget of awarded lots (yuan)"), lambda f: to_yuan(f.awarded_budget_fen), money=True),
    Column("savings", N_("Savings (yuan)"), lambda f: to_yuan(f.savings_fen), money=True),
    Column("rate_weighted", N_("Discount rate, amount-weighted (%)"), lambda f: _pct(f.rate_weighted)),
    Column("rate_mean", N_("Discount rate, mean of projects (%)"), lambda f: _pct(f.rate_mean)),
    Column("failed", N_("Failed tenders"), lambda f: f.failed),
    Column("entry_to_award_days", N_("Days from entry to award"), lambda f: _two(f.entry_to_award_days)),
    Column("green_share", N_("Green channel share (%)"), lambda f: _pct(f.green_share)),
    Column("green_days", N_("Days to publication, green channel"), lambda f: _two(f.green_days)),
    Column("normal_days", N_("Days to publication, others"), lambda f: _two(f.normal_days)),
    Column("days_saved", N_("Days saved by the green channel"), lambda f: _two(f.days_saved)),
    Column("time_saved_share", N_("Time saved by the green channel (%)"), lambda f: _pct(f.time_saved_share)),
    Column("green_review_hours", N_("Entry review hours, green channel"), lambda f: _two(f.green_review_hours)),
    Column("normal_review_hours", N_("Entry review hours, others"), lambda f: _two(f.normal_review_hours)),
)


def group_label(group_by: str, figures: Figures) -> str:
    if group_by in _CODE_LABELS:
        return label(_CODE_LABELS[group_by], figures.key)
    return figures.label or figures.key


@dataclass(frozen=True)
class Table:
    headings: list[str]
    rows: list[list[str | int | Decimal | None]]  # the groups, then the total


def table(report: Report) -> Table:
    group_by = report.query.group_by
    headings = [gettext(GROUP_HEADINGS[group_by])] + [gettext(c.heading) for c in COLUMNS]
    rows: list[list[str | int | Decimal | None]] = []
    if group_by != "total":
        rows = [[group_label(group_by, f)] + [c.value(f) for c in COLUMNS] for f in report.rows]
    rows.append([gettext("Total")] + [c.value(report.total) for c in COLUMNS])
    return Table(headings, rows)


def to_csv(report: Report) -> str:
    """UTF-8 with a BOM, so spreadsheet programs open the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    shown = table(report)
    writer.writerow(shown.headings)
    writer.writerows([["" if v is None else v for v in row] for row in shown.rows])
    return "\ufeff" + out.getvalue()


def to_xlsx(report: Report) -> bytes:
    """One sheet: the period, then the table with numbers as numbers (yuan with two places)."""
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Statistics")[:31]
    sheet.append([gettext("Period"), report.query.period.label])
    sheet.append([])
    shown = table(report)
    sheet.append(shown.headings)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in shown.rows:
        sheet.append(row)
        for column, cell in zip(COLUMNS, sheet[sheet.max_row][1:], strict=True):
            if column.money:
                cell.number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
