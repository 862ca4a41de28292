"""The legal limits of publication, each at its boundary, with the field and article it names."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procurement.tenders import rules
from procurement.tenders.calendar import (
    BEIJING,
    HolidayCalendar,
    beijing_date,
    beijing_end_date,
    end_of_beijing_day,
)
from procurement.tenders.rules import Method, Track

PLAIN = HolidayCalendar()
# EXAMPLE DATA, not the official arrangement: Spring Festival 16-22 Feb 2026, Saturdays 14 and 28 Feb worked.
SPRING_FESTIVAL_EXAMPLE = HolidayCalendar(
    holidays=frozenset(date(2026, 2, 16) + timedelta(days=i) for i in range(7)),
    working_weekends=frozenset({date(2026, 2, 14), date(2026, 2, 28)}),
)
WORKS = rules.rules_for(Track.works, Method.open)
GOVERNMENT = rules.rules_for(Track.government, Method.open)
BOTH_TRACKS = pytest.mark.parametrize(
    ("tender_rules", "article"),
    [(WORKS, "招标投标法 第二十四条"), (GOVERNMENT, "政府采购法 第三十五条")],
    ids=["works", "government"],
)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A Beijing wall-clock time, as the UTC moment the platform stores."""
    return datetime.combine(day, time(hour, minute), BEIJING).astimezone(UTC)


def timeline(tender_rules: rules.TenderRules, *, start: date, until: date, deadline: datetime,
             calendar: HolidayCalendar = PLAIN, published_at: datetime | None = None,
             until_time: datetime | None = None) -> list[rules.Violation]:
    documents_from = at(start)
    return rules.check_timeline(
        tender_rules, calendar, documents_from=documents_from, documents_until=until_time or at(until, 17),
        bid_deadline=deadline, published_at=published_at or documents_from - timedelta(hours=1),
    )


def only(violations: list[rules.Violation]) -> rules.Violation:
    assert len(violations) == 1, violations
    return violations[0]


# --- Documents to deadline: 20 days --------------------------------------------------------------


@BOTH_TRACKS
def test_twenty_days_from_the_first_day_to_the_deadline_day(tender_rules: rules.TenderRules, article: str) -> None:
    # First offered Monday 2 March; the 2nd is not counted, so the 22nd is the twentieth day.
    assert timeline(tender_rules, start=date(2026, 3, 2), until=date(2026, 3, 13), deadline=at(date(2026, 3, 22))) == []
    v = only(timeline(tender_rules, start=date(2026, 3, 2), until=date(2026, 3, 13), deadline=at(date(2026, 3, 21), 23, 59)))
    assert (v.field, v.article) == ("body.timeline.bid_deadline", article)
    assert v.params == {"n": 20, "start": "2026-03-02", "earliest": "2026-03-22"}
    assert "2026-03-22" in v.message


@BOTH_TRACKS
def test_a_deadline_at_24_00_is_on_the_day_that_ends(tender_rules: rules.TenderRules, article: str) -> None:
    start, until = date(2026, 3, 2), date(2026, 3, 13)
    assert only(timeline(tender_rules, start=start, until=until, deadline=end_of_beijing_day(date(2026, 3, 21)))).article == article
    assert timeline(tender_rules, start=start, until=until, deadline=end_of_beijing_day(date(2026, 3, 22))) == []


def test_the_time_of_day_the_documents_start_does_not_count() -> None:
    # Days are dates: first offered at 23:50, the deadline at 00:10 twenty dates later is allowed.
    documents_from = at(date(2026, 3, 2), 23, 50)
    problems = rules.check_timeline(
        WORKS, PLAIN, documents_from=documents_from, documents_until=at(date(2026, 3, 9), 17),
        bid_deadline=at(date(2026, 3, 22), 0, 10), published_at=documents_from,
    )
    assert problems == []


# --- Documents on offer: 5 days (works), 5 working days (government) -----------------------------


def test_works_documents_on_offer_five_calendar_days() -> None:
    deadline = at(date(2026, 4, 1))
    # Thursday 5 March: five calendar days run on Tuesday the 10th, weekend or not.
    assert timeline(WORKS, start=date(2026, 3, 5), until=date(2026, 3, 10), deadline=deadline) == []
    v = only(timeline(WORKS, start=date(2026, 3, 5), until=date(2026, 3, 9), deadline=deadline))
    assert (v.field, v.article) == ("body.timeline.documents_until", "招标投标法实施条例 第十六条")
    assert v.params == {"n": 5, "start": "2026-03-05", "earliest": "2026-03-10"}


def test_government_five_working_days_across_a_weekend() -> None:
    deadline = at(date(2026, 4, 1))
    # Thursday 5 March: Fri 6, Mon 9, Tue 10, Wed 11, Thu 12.
    assert timeline(GOVERNMENT, start=date(2026, 3, 5), until=date(2026, 3, 12), deadline=deadline) == []
    v = only(timeline(GOVERNMENT, start=date(2026, 3, 5), until=date(2026, 3, 11), deadline=deadline))
    assert (v.field, v.article) == ("body.timeline.documents_until", "政府采购法实施条例 第三十一条")
    assert v.params["earliest"] == "2026-03-12"
    assert "working days" in v.template


def test_government_five_working_days_across_a_holiday() -> None:
    deadline = at(date(2026, 4, 1))
    monday_off = HolidayCalendar(holidays=frozenset({date(2026, 3, 9)}))  # example holiday
    assert timeline(GOVERNMENT, start=date(2026, 3, 5), until=date(2026, 3, 13), deadline=deadline, calendar=monday_off) == []
    v = only(timeline(GOVERNMENT, start=date(2026, 3, 5), until=date(2026, 3, 12), deadline=deadline, calendar=monday_off))
    assert v.params["earliest"] == "2026-03-13"


def test_government_five_working_days_over_the_spring_festival_example() -> None:
    deadline = at(date(2026, 3, 20))
    start = date(2026, 2, 12)  # Thursday: 13, Saturday 14 (worked), 23, 24, 25
    assert timeline(GOVERNMENT, start=start, until=date(2026, 2, 25), deadline=deadline, calendar=SPRING_FESTIVAL_EXAMPLE) == []
    v = only(timeline(GOVERNMENT, start=start, until=date(2026, 2, 24), deadline=deadline, calendar=SPRING_FESTIVAL_EXAMPLE))
    assert v.params["earliest"] == "2026-02-25"


def test_on_offer_until_24_00_covers_that_day() -> None:
    deadline = at(date(2026, 4, 1))
    start = date(2026, 3, 5)
    ok = timeline(GOVERNMENT, start=start, until=start, deadline=deadline, until_time=end_of_beijing_day(date(2026, 3, 12)))
    short = timeline(GOVERNMENT, start=start, until=start, deadline=deadline, until_time=end_of_beijing_day(date(2026, 3, 11)))
    assert ok == [] and only(short).field == "body.timeline.documents_until"


# --- Plain orderings -----------------------------------------------------------------------------


def test_documents_cannot_start_before_publication() -> None:
    start = date(2026, 3, 2)
    v = only(timeline(WORKS, start=start, until=date(2026, 3, 13), deadline=at(date(2026, 3, 23)), published_at=at(start, 10)))
    assert (v.field, v.article) == ("body.timeline.documents_from", "")
    assert v.params == {"published_at": "2026-03-02 10:00"}


def test_documents_must_end_after_they_start_and_by_the_deadline() -> None:
    start = date(2026, 3, 2)
    v = only(timeline(WORKS, start=start, until=start, deadline=at(date(2026, 3, 23)), until_time=at(start, 8)))
    assert (v.field, v.article) == ("body.timeline.documents_until", "")
    late = timeline(WORKS, start=start, until=date(2026, 3, 24), deadline=at(date(2026, 3, 23)))
    assert [(v.field, v.article) for v in late] == [("body.timeline.documents_until", "")]
    assert "2026-03-23 09:00" in late[0].message


def test_single_source_has_no_periods() -> None:
    single = rules.rules_for("government", "single_source")
    assert timeline(single, start=date(2026, 3, 2), until=date(2026, 3, 3), deadline=at(date(2026, 3, 3), 18)) == []


def test_negotiation_counts_three_working_days_to_first_responses() -> None:
    negotiation = rules.rules_for(Track.government, Method.negotiation)
    # Friday 6 March: Mon 9, Tue 10, Wed 11.
    assert timeline(negotiation, start=date(2026, 3, 6), until=date(2026, 3, 9), deadline=at(date(2026, 3, 11))) == []
    v = only(timeline(negotiation, start=date(2026, 3, 6), until=date(2026, 3, 9), deadline=at(date(2026, 3, 10), 17)))
    assert (v.field, v.article) == ("body.timeline.bid_deadline", "政府采购非招标采购方式管理办法 第二十九条")


# --- Bid security: 2% ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tender_rules", "article"),
    [(WORKS, "招标投标法实施条例 第二十六条"), (GOVERNMENT, "政府采购法实施条例 第三十三条")],
    ids=["works", "government"],
)
def test_security_two_percent_allowed_more_refused(tender_rules: rules.TenderRules, article: str) -> None:
    field = "body.lots[1].bid_security"
    budget = Decimal("1000000.00")
    assert rules.check_security(tender_rules, budget=budget, security=Decimal("20000.00"), field=field) == []
    assert rules.check_security(tender_rules, budget=budget, security=Decimal(0), field=field) == []
    v = only(rules.check_security(tender_rules, budget=budget, security=Decimal("20100.00"), field=field))  # 2.01%
    assert (v.field, v.article) == (field, article)
    assert v.params["cap"] == Decimal("20000.00") and v.params["ratio"] == "2%"
    assert only(rules.check_security(tender_rules, budget=budget, security=Decimal(-1), field=field)).field == field


def test_security_cap_is_exact_not_rounded() -> None:
    budget = Decimal("1234.56")  # 2% is 24.6912
    assert rules.check_security(WORKS, budget=budget, security=Decimal("24.69"), field="f") == []
    v = only(rules.check_security(WORKS, budget=budget, security=Decimal("24.70"), field="f"))
    assert v.params["cap"] == Decimal("24.69")  # shown rounded down, never above the real cap


# --- Amendments: 15 days before the deadline -----------------------------------------------------

DEADLINE = at(date(2026, 4, 1), 9, 30)


@pytest.mark.parametrize("tender_rules", [WORKS, GOVERNMENT], ids=["works", "government"])
@pytest.mark.parametrize(
    ("days_before", "moved_to"),
    [(16, None), (15, None), (14, at(date(2026, 4, 2), 9, 30))],
)
def test_amendment_moves_the_deadline_only_when_fewer_than_15_days_remain(
    tender_rules: rules.TenderRules, days_before: int, moved_to: datetime | None
) -> None:
    for hour in (0, 12, 23):  # the time of the amendment does not matter, its date does
        amended_at = at(date(2026, 4, 1) - timedelta(days=days_before), hour, 59)
        moved = rules.moved_deadline_for_amendment(tender_rules, amended_at=amended_at, bid_deadline=DEADLINE)
        assert moved == (moved_to or DEADLINE)
        assert moved.tzinfo == UTC


def test_amendment_articles() -> None:
    assert WORKS.amendment_before_deadline is not None
    assert GOVERNMENT.amendment_before_deadline is not None
    assert WORKS.amendment_before_deadline.article == "招标投标法 第二十三条；招标投标法实施条例 第二十一条"
    assert GOVERNMENT.amendment_before_deadline.article == "政府采购法实施条例 第三十一条"


def test_amendment_in_working_days_needs_the_calendar() -> None:
    quotation = rules.rules_for(Track.government, Method.quotation)
    amended_at = at(date(2026, 2, 13), 15)  # Friday; with the example: Sat 14, Mon 23, Tue 24
    deadline = at(date(2026, 2, 23), 9)
    with pytest.raises(ValueError, match="calendar"):
        rules.moved_deadline_for_amendment(quotation, amended_at=amended_at, bid_deadline=deadline)
    moved = rules.moved_deadline_for_amendment(
        quotation, amended_at=amended_at, bid_deadline=deadline, calendar=SPRING_FESTIVAL_EXAMPLE
    )
    assert moved == at(date(2026, 2, 24), 9)


def test_single_source_deadline_never_moves() -> None:
    single = rules.rules_for(Track.government, Method.single_source)
    assert rules.moved_deadline_for_amendment(single, amended_at=DEADLINE, bid_deadline=DEADLINE) == DEADLINE


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))


@given(st.sampled_from(sorted(rules.RULES)), moments, moments)
def test_a_moved_deadline_leaves_the_period_and_never_comes_earlier(
    key: tuple[Track, Method], amended_at: datetime, deadline: datetime
) -> None:
    tender_rules = rules.RULES[key]
    moved = rules.moved_deadline_for_amendment(
        tender_rules, amended_at=amended_at, bid_deadline=deadline, calendar=SPRING_FESTIVAL_EXAMPLE
    )
    assert moved >= deadline
    assert moved.astimezone(BEIJING).time() == deadline.astimezone(BEIJING).time()
    limit = tender_rules.amendment_before_deadline
    if limit is None:
        assert moved == deadline
        return
    assert isinstance(limit.value, rules.Period)
    earliest = limit.value.after(beijing_date(amended_at), SPRING_FESTIVAL_EXAMPLE)
    assert beijing_end_date(moved) >= earliest
    if moved != deadline:
        assert beijing_end_date(moved) == earliest  # moved no further than needed
    if limit.value.unit == "calendar":
        assert (beijing_end_date(moved) - beijing_date(amended_at)).days >= limit.value.amount


# --- Bids ----------------------------------------------------------------------------------------


def test_enough_bids() -> None:
    assert not rules.enough_bids(WORKS, 2) and rules.enough_bids(WORKS, 3)
    assert not rules.enough_bids(GOVERNMENT, 2) and rules.enough_bids(GOVERNMENT, 3)
    single = rules.rules_for(Track.government, Method.single_source)
    assert not rules.enough_bids(single, 0) and rules.enough_bids(single, 1)
    assert WORKS.minimum_bids.article == "招标投标法 第二十八条；招标投标法实施条例 第四十四条"
    assert GOVERNMENT.minimum_bids.article == "政府采购法 第三十六条"


# --- The table and its combinations --------------------------------------------------------------


def test_rules_table_has_a_row_per_rule_per_combination() -> None:
    table = rules.rules_table()
    expected = [
        (track.value, method.value, limit.description, limit.text(), limit.article)
        for (track, method), tender_rules in rules.RULES.items()
        for limit in (getattr(tender_rules, f.name) for f in fields(tender_rules))
        if limit is not None
    ]
    assert [tuple(row.values()) for row in table] == expected
    assert all(list(row) == ["track", "method", "rule", "value", "article"] for row in table)
    assert all(row["article"] and row["value"] for row in table)
    # Every combination shows at least its security cap and its bid minimum.
    assert {(row["track"], row["method"]) for row in table} == {(t.value, m.value) for t, m in rules.RULES}


def test_rules_table_reads_as_operators_expect() -> None:
    rows = {(r["track"], r["method"], r["rule"]): (r["value"], r["article"]) for r in rules.rules_table()}
    assert rows["works", "open", rules.TO_DEADLINE] == ("20 日", "招标投标法 第二十四条")
    assert rows["works", "invited", rules.ON_OFFER] == ("5 日", "招标投标法实施条例 第十六条")
    assert rows["government", "open", rules.ON_OFFER] == ("5 个工作日", "政府采购法实施条例 第三十一条")
    assert rows["government", "invited", rules.SECURITY] == ("2%", "政府采购法实施条例 第三十三条")
    assert rows["government", "consultation", rules.TO_DEADLINE] == ("10 日", "政府采购竞争性磋商采购方式管理暂行办法 第十条")
    assert rows["government", "quotation", rules.TO_DEADLINE] == ("3 个工作日", "政府采购非招标采购方式管理办法 第四十五条")
    assert rows["government", "single_source", rules.MINIMUM_BIDS] == ("1 家", "政府采购法 第三十一条")
    assert ("government", "single_source", rules.TO_DEADLINE) not in rows


def test_the_works_track_knows_only_tendering() -> None:
    assert rules.rules_for("works", "invited") is rules.rules_for(Track.works, Method.invited)
    for method in (Method.negotiation, Method.consultation, Method.quotation, Method.single_source):
        with pytest.raises(ValueError, match=f"works track has no {method} procedure"):
            rules.rules_for(Track.works, method)
    with pytest.raises(ValueError):
        rules.rules_for("works", "auction")


def test_what_a_government_method_may_buy() -> None:
    assert rules.rules_for("government", "negotiation", category="works") is rules.RULES[Track.government, Method.negotiation]
    assert rules.rules_for("works", "open", category="goods") is WORKS
    with pytest.raises(ValueError, match="works tendered go by the works track"):
        rules.rules_for("government", "open", category="works")
    with pytest.raises(ValueError, match="does not buy services") as refused:
        rules.rules_for("government", "quotation", category="services")
    assert isinstance(refused.value, rules.NoProcedure)
    assert refused.value.params == {"method": "quotation", "category": "services"}
    assert "%(category)s" in refused.value.template


def test_periods_and_limits_say_what_they_are() -> None:
    assert rules.Period(5, "working").after(date(2026, 3, 5), PLAIN) == date(2026, 3, 12)
    assert rules.Period(20, "calendar").after(date(2026, 3, 2), None) == date(2026, 3, 22)
    with pytest.raises(ValueError):
        rules.Period(-1, "calendar")
    with pytest.raises(ValueError, match="calendar"):
        rules.Period(5, "working").after(date(2026, 3, 5), None)
    assert rules.Limit(Decimal("0.025"), "x", "y").text() == "2.5%"
