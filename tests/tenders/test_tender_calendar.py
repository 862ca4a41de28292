"""Working days with holidays and 调休, and Beijing dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procurement.tenders.calendar import (
    HolidayCalendar,
    add_calendar_days,
    beijing_date,
    beijing_end_date,
    end_of_beijing_day,
)

# EXAMPLE DATA, not the official 2026 arrangement: a Spring Festival break of Mon 16 to Sun 22
# February 2026, with Saturdays 14 and 28 February worked instead. Real calendars are configuration.
SPRING_FESTIVAL_EXAMPLE = HolidayCalendar(
    holidays=frozenset(date(2026, 2, 16) + timedelta(days=i) for i in range(7)),
    working_weekends=frozenset({date(2026, 2, 14), date(2026, 2, 28)}),
)
PLAIN = HolidayCalendar()

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> HolidayCalendar:
    chosen = draw(st.lists(days, max_size=40))
    holidays = frozenset(d for d in chosen if d.weekday() < 5)
    weekends = frozenset(d for d in draw(st.lists(days, max_size=10)) if d.weekday() >= 5)
    return HolidayCalendar(holidays=holidays, working_weekends=weekends)


# --- Properties ----------------------------------------------------------------------------------


@given(calendars(), days, st.integers(min_value=0, max_value=60))
def test_adding_then_counting_gives_back_the_days(calendar: HolidayCalendar, start: date, n: int) -> None:
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n
    if n:
        assert calendar.is_working_day(end)  # the n-th working day is a working day


@given(calendars(), days, days)
def test_counting_then_adding_lands_on_the_last_working_day(calendar: HolidayCalendar, start: date, end: date) -> None:
    n = calendar.working_days_between(start, end)
    landed = calendar.add_working_days(start, n)
    if end > start:
        assert landed <= end
        assert all(not calendar.is_working_day(landed + timedelta(days=i)) for i in range(1, (end - landed).days + 1))
    else:
        assert n == 0 and landed == start


@given(calendars(), days, st.lists(days, min_size=2, max_size=2))
def test_counting_is_monotone_and_adds_up(calendar: HolidayCalendar, start: date, ends: list[date]) -> None:
    a, b = sorted(ends)
    assert calendar.working_days_between(start, a) <= calendar.working_days_between(start, b)
    assert calendar.working_days_between(a, start) >= calendar.working_days_between(b, start)
    if start <= a:
        assert calendar.working_days_between(start, a) + calendar.working_days_between(a, b) == (
            calendar.working_days_between(start, b)
        )


@given(days, st.integers(min_value=1, max_value=40))
def test_weekends_are_skipped(start: date, n: int) -> None:
    end = PLAIN.add_working_days(start, n)
    assert end.weekday() < 5
    # Five working days are one calendar week, from any day.
    assert PLAIN.working_days_between(start, start + timedelta(days=7)) == 5


@given(days.filter(lambda d: d.weekday() < 5))
def test_a_holiday_on_a_weekday_is_skipped(holiday: date) -> None:
    calendar = HolidayCalendar(holidays=frozenset({holiday}))
    eve = holiday - timedelta(days=1)
    assert not calendar.is_working_day(holiday)
    assert calendar.add_working_days(eve, 1) != holiday
    assert calendar.working_days_between(eve, holiday) == 0
    assert calendar.working_days_between(eve, eve + timedelta(days=7)) == 4


@given(days.filter(lambda d: d.weekday() >= 5))
def test_a_working_weekend_day_counts(day: date) -> None:
    calendar = HolidayCalendar(working_weekends=frozenset({day}))
    eve = day - timedelta(days=1)
    assert calendar.is_working_day(day)
    assert calendar.working_days_between(eve, day) == 1
    assert calendar.working_days_between(eve, eve + timedelta(days=7)) == 6
    if eve.weekday() == 4:  # a Friday: the next working day is the Saturday worked
        assert calendar.add_working_days(eve, 1) == day


# --- The Spring Festival example -----------------------------------------------------------------


def test_spring_festival_example_days() -> None:
    cal = SPRING_FESTIVAL_EXAMPLE
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday, worked
    assert not any(cal.is_working_day(date(2026, 2, 16) + timedelta(days=i)) for i in range(7))
    assert cal.is_working_day(date(2026, 2, 23))
    assert cal.is_working_day(date(2026, 2, 28))  # Saturday, worked
    assert not cal.is_working_day(date(2026, 3, 1))  # an ordinary Sunday


def test_spring_festival_example_counting() -> None:
    cal = SPRING_FESTIVAL_EXAMPLE
    friday = date(2026, 2, 13)
    assert cal.add_working_days(friday, 1) == date(2026, 2, 14)
    assert cal.add_working_days(friday, 2) == date(2026, 2, 23)
    # From Thursday 12 February, five working days: 13, 14, 23, 24, 25.
    assert cal.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 25)
    assert cal.working_days_between(date(2026, 2, 12), date(2026, 2, 27)) == 7
    assert cal.working_days_between(date(2026, 2, 15), date(2026, 2, 22)) == 0


def test_zero_days_and_bad_input() -> None:
    assert PLAIN.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)  # even a Saturday
    assert PLAIN.working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    with pytest.raises(ValueError, match="negative"):
        PLAIN.add_working_days(date(2026, 3, 2), -1)
    with pytest.raises(ValueError, match="Saturdays or Sundays"):
        HolidayCalendar(working_weekends=frozenset({date(2026, 3, 2)}))
    with pytest.raises(ValueError, match="both"):
        HolidayCalendar(holidays=frozenset({date(2026, 3, 7)}), working_weekends=frozenset({date(2026, 3, 7)}))


def test_calendar_days() -> None:
    assert add_calendar_days(date(2026, 2, 27), 2) == date(2026, 3, 1)
    assert add_calendar_days(date(2026, 3, 1), 0) == date(2026, 3, 1)


# --- Beijing dates -------------------------------------------------------------------------------


def test_beijing_dates_turn_at_16_utc() -> None:
    assert beijing_date(datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert beijing_date(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == date(2026, 3, 2)
    with pytest.raises(ValueError, match="time zone"):
        beijing_date(datetime(2026, 3, 1, 12, 0))


def test_end_of_day_is_24_00_and_belongs_to_that_day() -> None:
    end = end_of_beijing_day(date(2026, 3, 1))
    assert end == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert end.tzinfo == UTC
    assert beijing_date(end) == date(2026, 3, 2)  # as a moment, 00:00 of the next day...
    assert beijing_end_date(end) == date(2026, 3, 1)  # ...but a period ending then covers only the 1st
    assert beijing_end_date(end + timedelta(microseconds=1)) == date(2026, 3, 2)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_end_date_is_the_date_or_the_day_before(moment: datetime) -> None:
    assert beijing_date(moment) - beijing_end_date(moment) in (timedelta(0), timedelta(days=1))
    assert beijing_end_date(end_of_beijing_day(beijing_date(moment))) == beijing_date(moment)
