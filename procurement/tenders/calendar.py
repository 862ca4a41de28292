"""Working days and Beijing dates, for the legal periods of a tender.

The law counts periods in days (日, calendar days) or working days (工作日). Which days are
working days is set each year by the State Council (official holidays, and the weekend days
worked in exchange, 调休), so the calendar is configuration handed in, never a rule here.

Days are counted the way the Civil Code counts periods (民法典 第二百零一条): the day a period
starts from is not counted, the next day is the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Tender periods run on Beijing dates, whatever zone the server or the reader is in.
BEIJING = ZoneInfo("Asia/Shanghai")

_SATURDAY = 5


def _is_weekend(d: date) -> bool:
    return d.weekday() >= _SATURDAY


@dataclass(frozen=True)
class HolidayCalendar:
    """Official rest days and the weekend days worked instead (调休)."""

    holidays: frozenset[date] = frozenset()
    working_weekends: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # A weekday listed as worked would be silently ignored; a day on both lists contradicts itself.
        weekdays = sorted(d for d in self.working_weekends if not _is_weekend(d))
        if weekdays:
            raise ValueError(f"working weekends must be Saturdays or Sundays: {', '.join(map(str, weekdays))}")
        both = sorted(self.holidays & self.working_weekends)
        if both:
            raise ValueError(f"days both holiday and working weekend: {', '.join(map(str, both))}")

    def is_working_day(self, d: date) -> bool:
        if _is_weekend(d):
            return d in self.working_weekends
        return d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted; n=0 gives ``start``)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        d = start
        while n:
            d += timedelta(days=1)
            n -= self.is_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (0 when end <= start)."""
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def add_calendar_days(start: date, n: int) -> date:
    return start + timedelta(days=n)


def beijing_date(moment: datetime) -> date:
    """The Beijing date of a moment (which must carry its zone: a naive time is ambiguous)."""
    if moment.tzinfo is None:
        raise ValueError(f"a moment needs its time zone: {moment.isoformat()}")
    return moment.astimezone(BEIJING).date()


def beijing_end_date(moment: datetime) -> date:
    """The last Beijing date a period ending at ``moment`` covers.

    A period that ends at 24:00 ends at 00:00 of the next day, but covers only the day before:
    a deadline of "20 March 24:00" is on 20 March.
    """
    day = beijing_date(moment)
    return day - timedelta(days=1) if moment.astimezone(BEIJING).time() == time(0) else day


def end_of_beijing_day(d: date) -> datetime:
    """24:00 of a Beijing date, in UTC."""
    return datetime.combine(d + timedelta(days=1), time(0), BEIJING).astimezone(UTC)
