"""The statistics' figures on data sets whose totals are known: the seed's 2018 year, groups, periods, failures, green channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from procurement.actor import Actor
from procurement.errors import Forbidden, InvalidInput
from procurement.identity.models import Role
from procurement.statistics import periods, service
from procurement.statistics.lines import year_lines
from procurement.statistics.periods import Period
from tests.statistics.stats_testlib import people, seed_2018, trade, write

SUPERVISOR = Actor(user_id=1, username="s", organisation_id=1, organisation_kind="supervisor_body", roles=frozenset({Role.supervisor}))
PURCHASER = Actor(user_id=2, username="p", organisation_id=2, organisation_kind="purchaser", roles=frozenset({Role.purchaser}))


async def _report(platform, query: service.Query, actor: Actor | None = None) -> service.Report:
    async with platform.db.transaction(write=False) as session:
        return await service.report(session, actor, query)


async def test_the_seed_year_gives_the_seed_figures_with_both_rates(platform, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, seed_2018(seeded))
    report = await _report(platform, service.Query(Period.year(2018), group_by="track"))
    by_track = {row.key: row for row in report.rows}
    assert report.total.projects == 849 and report.total.traded_projects == 849
    assert report.total.traded_fen == 39_502_000_000_00
    government, works = by_track["government"], by_track["works"]
    assert (government.projects, government.traded_fen, government.savings_fen) == (288, 4_002_000_000_00, 114_000_000_00)
    assert (works.projects, works.traded_fen, works.savings_fen) == (561, 35_500_000_000_00, 90_000_000_00)
    # The seed's government rate is amount-weighted; its works rate is the mean of per-project rates.
    assert service.percent(government.rate_weighted) == "2.77"
    assert service.percent(works.rate_mean) == "2.62"
    assert service.percent(works.rate_weighted) == "0.25"  # what the works figure would be, weighted
    assert government.awarded_budget_fen == government.traded_fen + government.savings_fen
    zh = year_lines(report, "zh", rate="seed")
    assert zh == ("全年进场交易项目849个，交易额395.02亿元；政府采购项目288个，交易额40.02亿元，节约资金1.14亿元，成交下浮率2.77%；"
                  "工程建设项目561个，交易额355亿元，节约资金0.9亿元，中标下浮率2.62%")
    en = year_lines(report, "en", rate="weighted")
    assert en.startswith("849 projects traded in the year, CNY 39.502 billion; government procurement: 288 projects, CNY 4.002 billion, "
                         "CNY 0.114 billion saved, discount rate 2.77% (amount-weighted)")
    assert "construction works: 561 projects, CNY 35.5 billion, CNY 0.09 billion saved, discount rate 0.25% (amount-weighted)" in en


async def test_groups_add_up_to_the_total_by_month_region_and_purchaser(platform, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, seed_2018(seeded))
    total = (await _report(platform, service.Query(Period.year(2018)))).total
    for group_by in ("month", "quarter", "region", "purchaser", "category", "method"):
        report = await _report(platform, service.Query(Period.year(2018), group_by=group_by), SUPERVISOR)
        assert (report.total.projects, report.total.traded_fen, report.total.savings_fen) == (total.projects, total.traded_fen, total.savings_fen)
        assert report.total.rate_mean == total.rate_mean
    months = await _report(platform, service.Query(Period.year(2018), group_by="month"))
    assert [row.key for row in months.rows] == [f"2018-{m:02d}" for m in range(1, 13)]  # quiet months shown as zero too
    purchasers = await _report(platform, service.Query(Period.year(2018), group_by="purchaser"), SUPERVISOR)
    assert {row.label for row in purchasers.rows} == {"海口市第一采购单位", "海口市第二采购单位"}


async def test_a_period_counts_by_beijing_dates_and_filters_narrow_it(platform, users) -> None:
    seeded = await people(users)
    # Published 31 March 23:30 Beijing (15:30 UTC): March in Hainan, though still 31 March in UTC either way;
    # and 1 April 00:30 Beijing (31 March 16:30 UTC): April in Hainan, March in UTC.
    march = trade(1, seeded, track="works", budget_fen=100_000_00, award_fen=None, day=0)
    await write(platform, seeded, [
        march.__class__(**{**march.__dict__, "published_at": datetime(2018, 3, 31, 15, 30, tzinfo=UTC)}),
        march.__class__(**{**march.__dict__, "code": "460100-2018-T-09999", "published_at": datetime(2018, 3, 31, 16, 30, tzinfo=UTC),
                           "region": "460108"}),
    ])
    q1 = await _report(platform, service.Query(Period.quarter(2018, 1)))
    april = await _report(platform, service.Query(Period.month(2018, 4)))
    assert (q1.total.projects, april.total.projects) == (1, 1)
    narrowed = await _report(platform, service.Query(Period(date(2018, 3, 1), date(2018, 4, 30)), region="460108"))
    assert narrowed.total.projects == 1 and narrowed.total.budget_fen == 100_000_00


async def test_failed_tenders_entry_to_award_days_and_the_green_channel(platform, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, [
        trade(1, seeded, track="government", budget_fen=1_000_000_00, award_fen=950_000_00, day=10, submitted_days=3.0, review_hours=24.0),
        trade(2, seeded, track="government", budget_fen=1_000_000_00, award_fen=None, day=10, failed_at=datetime(2018, 2, 20, 2, tzinfo=UTC),
              green_channel=True, submitted_days=1.0, review_hours=4.0),
        trade(3, seeded, track="works", budget_fen=2_000_000_00, award_fen=None, day=11, green_channel=True, submitted_days=1.5, review_hours=2.0),
        trade(4, seeded, track="works", budget_fen=2_000_000_00, award_fen=None, day=12, submitted_days=4.0, review_hours=30.0),
    ])
    report = await _report(platform, service.Query(Period.year(2018)))
    figures = report.total
    assert (figures.projects, figures.failed, figures.traded_projects) == (4, 1, 1)
    # Trade 1: submitted 3 days before publication, accepted 24 hours later, awarded 40 days after publication.
    assert figures.entry_to_award_days == Decimal("42.000000")
    assert figures.green_share == Decimal("0.500000")
    assert figures.green_days == Decimal("1.250000") and figures.normal_days == Decimal("3.500000")
    assert figures.days_saved == Decimal("2.250000") and service.percent(figures.time_saved_share) == "64.29"
    assert figures.green_review_hours == Decimal("3.000000") and figures.normal_review_hours == Decimal("27.000000")
    assert report.mall is None  # no mall data yet: nothing invented
    by_month = {row.key: row.failed for row in (await _report(platform, service.Query(Period.year(2018), group_by="month"))).rows}
    assert by_month["2018-02"] == 1 and sum(by_month.values()) == 1
    assert (await _report(platform, service.Query(Period.year(2019)))).total.failed == 0


async def test_the_purchaser_breakdown_is_for_supervisors_only(platform, users) -> None:
    for who in (None, PURCHASER):
        with pytest.raises(Forbidden):
            await _report(platform, service.Query(Period.year(2018), group_by="purchaser"), who)
        with pytest.raises(Forbidden):
            await _report(platform, service.Query(Period.year(2018), purchaser_id=1), who)
    assert (await _report(platform, service.Query(Period.year(2018), group_by="purchaser"), SUPERVISOR)).rows == []


def test_periods_are_named_one_way_and_checked() -> None:
    default = Period.year(2026)
    assert periods.parse(default=default) == default
    assert periods.parse(month="2026-02", default=default) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert periods.parse(quarter="2026-Q4", default=default) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert periods.parse(first="2026-03-01", last="2026-03-01", default=default).end - Period(date(2026, 3, 1), date(2026, 3, 1)).start \
        == timedelta(days=1)
    for bad in ({"month": "2026-13"}, {"quarter": "2026-Q5"}, {"year": "26"}, {"year": "1999"}, {"first": "2026-03-02", "last": "2026-03-01"},
                {"first": "2026-03-01"}, {"month": "2026-01", "year": "2026"}, {"first": "2000-01-01", "last": "2099-01-01"}):
        with pytest.raises(InvalidInput):
            periods.parse(default=default, **bad)
