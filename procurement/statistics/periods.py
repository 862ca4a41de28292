"""Report periods: whole Beijing dates, from the first through the last day.

People in Hainan count a month, a quarter or a year by their own calendar, so a period's
bounds are 00:00 Beijing time of its first day and of the day after its last, in UTC (the
database's time). A request names a period one of four ways: ``from``/``to`` dates, a
``month`` (2026-03), a ``quarter`` (2026-Q1) or a ``year`` (2026).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from procurement.clock import DISPLAY_ZONE, as_utc
from procurement.errors import InvalidInput

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
YEAR = re.compile(r"^(\d{4})$")
# A report spans at most this many days: enough for several years side by side, not a scan of all time by accident.
MAX_DAYS = 366 * 10
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _midnight(day: date) -> datetime:
    return as_utc(datetime.combine(day, time(), DISPLAY_ZONE))


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        """00:00 Beijing time of the first day, in UTC."""
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        """00:00 Beijing time of the day after the last, in UTC: the exclusive upper bound."""
        return _midnight(self.last + timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = date(year, 3 * quarter - 2, 1)
        return cls(first, _next_month(date(year, 3 * quarter, 1)) - timedelta(days=1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(first, _next_month(first) - timedelta(days=1))


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _year(text: str, field: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput.for_field(field, "must be a year from %(first)s to %(last)s", first=FIRST_YEAR, last=LAST_YEAR)
    return year


def parse(*, first: str = "", last: str = "", month: str = "", quarter: str = "", year: str = "", default: Period) -> Period:
    """The period a request names (query fields ``from``, ``to``, ``month``, ``quarter``, ``year``), else ``default``."""
    named = [name for name, value in (("month", month), ("quarter", quarter), ("year", year)) if value]
    if len(named) > 1 or (named and (first or last)):
        raise InvalidInput.for_field(f"query.{named[-1]}", "name the period one way only: from and to, a month, a quarter or a year")
    if month:
        found = MONTH.match(month)
        if not found or not 1 <= int(found[2]) <= 12:
            raise InvalidInput.for_field("query.month", "must be a month such as 2026-03")
        return Period.month(_year(found[1], "query.month"), int(found[2]))
    if quarter:
        found = QUARTER.match(quarter)
        if not found:
            raise InvalidInput.for_field("query.quarter", "must be a quarter such as 2026-Q1")
        return Period.quarter(_year(found[1], "query.quarter"), int(found[2]))
    if year:
        if not YEAR.match(year):
            raise InvalidInput.for_field("query.year", "must be a year such as 2026")
        return Period.year(_year(year, "query.year"))
    if not first and not last:
        return default
    days = {}
    for field, text in (("from", first), ("to", last)):
        try:
            days[field] = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput.for_field(f"query.{field}", "must be a date such as 2026-03-01") from None
        _year(str(days[field].year), f"query.{field}")
    if days["to"] < days["from"]:
        raise InvalidInput.for_field("query.to", "must not be before from")
    if (days["to"] - days["from"]).days >= MAX_DAYS:
        raise InvalidInput.for_field("query.to", "a report spans at most %(days)s days", days=MAX_DAYS)
    return Period(days["from"], days["to"])


def this_year(today: date) -> Period:
    return Period.year(today.year)
