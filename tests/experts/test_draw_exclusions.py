"""Each exclusion rule on experts it must exclude and on experts it must let through, at the boundaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from expert_pool.draw import (
    DateRange,
    Employment,
    ExpertStatus,
    PoolSnapshot,
    Sitting,
    draw,
    reasons_against,
)
from tests.experts.draw_testlib import (
    BIDDER_A,
    EVALUATION,
    OTHER_ORG,
    PURCHASER,
    SEED,
    expert,
    pool,
    request,
)


def codes(**changes: object) -> list[str]:
    req = changes.pop("request", None) or request()
    return [r.code for r in reasons_against(expert("X", **changes), req)]  # type: ignore[arg-type]


def test_a_plain_expert_is_eligible() -> None:
    assert codes() == []


THREE_YEARS_BEFORE = date(2023, 6, 15)


@pytest.mark.parametrize(("employment", "excluded"), [
    (Employment(BIDDER_A, date(2020, 1, 1), None), True),  # employed now
    (Employment(BIDDER_A, date(2020, 1, 1), THREE_YEARS_BEFORE + timedelta(days=1)), True),  # within 3 years
    (Employment(BIDDER_A, date(2020, 1, 1), EVALUATION - timedelta(days=1)), True),
    (Employment(BIDDER_A, date(2020, 1, 1), THREE_YEARS_BEFORE), False),  # left exactly 3 years ago
    (Employment(BIDDER_A, date(2010, 1, 1), date(2019, 1, 1)), False),
    (Employment(BIDDER_A, date(2026, 7, 1), None), True),  # a contract signed, not yet begun
    (Employment(OTHER_ORG, date(2020, 1, 1), None), False),  # an employer that does not bid
])
def test_employer_among_the_bidders(employment: Employment, excluded: bool) -> None:
    assert codes(employers=(employment,)) == (["employer_bidder"] if excluded else [])


@pytest.mark.parametrize(("end", "excluded"), [(None, True), (THREE_YEARS_BEFORE + timedelta(days=1), True),
                                                (THREE_YEARS_BEFORE, False)])
def test_employer_is_the_purchaser(end: date | None, excluded: bool) -> None:
    assert codes(employers=(Employment(PURCHASER, date(2015, 1, 1), end),)) == (["employer_purchaser"] if excluded else [])


def test_three_years_from_29_february_falls_back_to_28_february() -> None:
    req = request(evaluation_date=date(2028, 2, 29))
    assert req.employment_cutoff == date(2025, 2, 28)
    assert codes(request=req, employers=(Employment(BIDDER_A, None, date(2025, 2, 28)),)) == []
    assert codes(request=req, employers=(Employment(BIDDER_A, None, date(2025, 3, 1)),)) == ["employer_bidder"]


def test_shareholding_and_relatives_among_the_bidders() -> None:
    assert codes(shareholdings=frozenset({BIDDER_A})) == ["shareholding_bidder"]
    assert codes(shareholdings=frozenset({OTHER_ORG, PURCHASER})) == []
    assert codes(relative_organisations=frozenset({BIDDER_A})) == ["relative_bidder"]
    assert codes(relative_organisations=frozenset({OTHER_ORG})) == []


def test_status() -> None:
    assert codes(status=ExpertStatus.suspended) == ["suspended"]
    assert codes(status=ExpertStatus.dismissed) == ["suspended"]
    assert codes(status=ExpertStatus.active) == []


def test_qualification_must_hold_to_the_last_evaluation_day() -> None:
    assert codes(qualification_expires=EVALUATION - timedelta(days=1)) == ["qualification_expired"]
    assert codes(qualification_expires=EVALUATION) == []
    assert codes(qualification_expires=None) == []
    two_days = request(evaluation_days=2)
    assert codes(request=two_days, qualification_expires=EVALUATION) == ["qualification_expired"]
    assert codes(request=two_days, qualification_expires=EVALUATION + timedelta(days=1)) == []


def test_unavailable_on_the_evaluation_days() -> None:
    day = timedelta(days=1)
    assert codes(unavailable=(DateRange(EVALUATION, EVALUATION),)) == ["unavailable"]
    assert codes(unavailable=(DateRange(EVALUATION - 5 * day, EVALUATION + 5 * day),)) == ["unavailable"]
    assert codes(unavailable=(DateRange(EVALUATION - 5 * day, EVALUATION - day),)) == []
    assert codes(unavailable=(DateRange(EVALUATION + day, EVALUATION + 3 * day),)) == []
    assert codes(request=request(evaluation_days=2), unavailable=(DateRange(EVALUATION + day, EVALUATION + 3 * day),)) == ["unavailable"]


def test_recent_sitting_with_the_same_purchaser_inside_the_window() -> None:
    window = timedelta(days=90)  # the base request's window
    assert codes(sittings=(Sitting(PURCHASER, EVALUATION - window + timedelta(days=1)),)) == ["recent_sitting"]
    assert codes(sittings=(Sitting(PURCHASER, EVALUATION - timedelta(days=1)),)) == ["recent_sitting"]
    assert codes(sittings=(Sitting(PURCHASER, EVALUATION - window),)) == []  # exactly the window ago: outside
    assert codes(sittings=(Sitting(OTHER_ORG, EVALUATION - timedelta(days=1)),)) == []  # another purchaser
    off = request(sitting_window_days=0)
    assert codes(request=off, sittings=(Sitting(PURCHASER, EVALUATION - timedelta(days=1)),)) == []


def test_draws_per_month_limit() -> None:
    assert codes(draws_this_month=2) == []
    assert codes(draws_this_month=3) == ["monthly_draw_limit"]
    assert codes(request=request(max_draws_per_month=None), draws_this_month=30) == []


def test_supervisor_of_the_project() -> None:
    assert codes(request=request(project_supervisor_ids=frozenset({"X"}))) == ["project_supervisor"]
    assert codes(request=request(project_supervisor_ids=frozenset({"Y"}))) == []
    assert codes(supervised_tenders=frozenset({"460100-2026-GC-0001"})) == ["project_supervisor"]
    assert codes(supervised_tenders=frozenset({"460100-2026-GC-0002"})) == []


def test_regions_by_division_prefix() -> None:
    assert codes(region="469001") == []  # inside province 460000
    assert codes(region="450101") == ["region_not_allowed"]
    city = request(allowed_regions=frozenset({"460100"}))
    assert codes(request=city, region="460105") == []
    assert codes(request=city, region="460202") == ["region_not_allowed"]
    county = request(allowed_regions=frozenset({"460105", "460202"}))
    assert codes(request=county, region="460202") == []
    assert codes(request=county, region="460106") == ["region_not_allowed"]
    assert codes(request=request(allowed_regions=frozenset()), region="110101") == []


def test_every_reason_is_recorded_in_rule_order_with_text() -> None:
    found = reasons_against(expert("X", status=ExpertStatus.suspended, draws_this_month=9,
                                   shareholdings=frozenset({BIDDER_A})), request())
    assert [r.code for r in found] == ["suspended", "shareholding_bidder", "monthly_draw_limit"]
    assert found[1].text == f"The expert holds shares in or directs the bidder {BIDDER_A}"


def test_the_draw_records_exclusions_and_never_seats_the_excluded() -> None:
    snapshot = PoolSnapshot.of([*pool().experts, expert("Z1", "civil", employers=(Employment(BIDDER_A),)),
                                expert("Z2", "cost", status=ExpertStatus.suspended), expert("Z3", "geology",
                                                                                          status=ExpertStatus.suspended)])
    outcome = draw(snapshot, request(), SEED)
    assert [(x.expert_id, [r.code for r in x.reasons]) for x in outcome.exclusions] == [
        ("Z1", ["employer_bidder"]), ("Z2", ["suspended"])]  # Z3 has no requested specialty: not a candidate
    drawn = {d.expert_id for d in (*outcome.seats, *outcome.reserves)}
    assert not drawn & {"Z1", "Z2", "Z3"}
