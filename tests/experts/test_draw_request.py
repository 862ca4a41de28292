"""Committee rules: a request the law does not allow is refused, naming the rule and its article."""

from __future__ import annotations

import pytest

from expert_pool.draw import InvalidDrawRequest
from tests.experts.draw_testlib import request


def refused(**changes: object) -> InvalidDrawRequest:
    with pytest.raises(InvalidDrawRequest) as caught:
        request(**changes).check()
    return caught.value


@pytest.mark.parametrize(("seats", "reps"), [({"civil": 5}, 0), ({"civil": 4}, 1), ({"civil": 5, "cost": 2}, 0),
                                             ({"civil": 4, "cost": 2}, 3), ({"civil": 9}, 0)])
def test_works_committees_of_five_or_more_odd_with_two_thirds_experts_pass(seats: dict, reps: int) -> None:
    for method in ("open", "invited"):
        assert request(seats=seats, purchaser_representatives=reps, reserves={}, method=method).check()


@pytest.mark.parametrize(("seats", "reps", "rule"), [
    ({"civil": 3}, 0, "committee.minimum_size"),
    ({"civil": 3}, 1, "committee.minimum_size"),
    ({"civil": 6}, 0, "committee.odd"),
    ({"civil": 4}, 2, "committee.odd"),
    ({"civil": 3}, 2, "committee.expert_share"),  # 3 of 5 < 2/3
    ({"civil": 4}, 3, "committee.expert_share"),  # 4 of 7 < 2/3
])
def test_works_committees_breaking_article_37_are_refused(seats: dict, reps: int, rule: str) -> None:
    error = refused(seats=seats, purchaser_representatives=reps, reserves={})
    assert error.rule == rule
    assert error.article == "招标投标法 第三十七条"
    assert "招标投标法 第三十七条" in str(error)


def test_two_thirds_exactly_is_enough() -> None:
    assert request(seats={"civil": 6}, purchaser_representatives=3, reserves={}).check()  # 6 of 9
    assert refused(seats={"civil": 5}, purchaser_representatives=4, reserves={}).rule == "committee.expert_share"


@pytest.mark.parametrize(("method", "article"), [
    ("negotiation", "政府采购法 第三十八条"),
    ("quotation", "政府采购法 第四十条"),
    ("consultation", "政府采购竞争性磋商采购方式管理暂行办法 第十四条"),
])
def test_government_panels_of_three_or_more_odd(method: str, article: str) -> None:
    ok = {"track": "government", "method": method, "reserves": {}}
    assert request(seats={"civil": 3}, purchaser_representatives=0, **ok).check()
    assert request(seats={"civil": 2}, purchaser_representatives=1, **ok).check()
    assert request(seats={"civil": 4}, purchaser_representatives=1, **ok).check()
    for seats, reps, rule in (({"civil": 2}, 0, "committee.minimum_size"), ({"civil": 1}, 1, "committee.minimum_size"),
                              ({"civil": 4}, 0, "committee.odd"), ({"civil": 1}, 2, "committee.expert_share"),
                              ({"civil": 3}, 2, "committee.expert_share")):
        error = refused(seats=seats, purchaser_representatives=reps, **ok)
        assert (error.rule, error.article) == (rule, article)


def test_government_tender_committee_is_five_or_more() -> None:
    assert request(track="government", method="open", seats={"civil": 5}, purchaser_representatives=0, reserves={}).check()
    error = refused(track="government", method="open", seats={"civil": 3}, purchaser_representatives=0, reserves={})
    assert error.rule == "committee.minimum_size" and "第四十七条" in error.article


def test_single_source_and_unknown_methods_are_refused() -> None:
    assert refused(track="government", method="single_source").rule == "committee.single_source"
    assert refused(track="works", method="quotation").rule == "method"
    assert refused(method="auction").rule == "method"
    assert refused(track="defence").rule == "track"


def test_a_local_minimum_is_enforced_without_an_article() -> None:
    error = refused(minimum_members=9)  # the base request has 7 members
    assert (error.rule, error.field, error.article) == ("committee.local_minimum", "minimum_members", "")
    assert request(minimum_members=7).check()


@pytest.mark.parametrize(("changes", "rule", "field"), [
    ({"seats": {}}, "seats", "seats"),
    ({"seats": {"civil": 0, "cost": 5}}, "seats.minimum", "seats.civil"),
    ({"seats": {"bad code!": 5}}, "specialty_code", "seats.bad code!"),
    ({"reserves": {"geology": 1}}, "reserves.specialty", "reserves.geology"),
    ({"reserves": {"civil": -1}}, "reserves.minimum", "reserves.civil"),
    ({"purchaser_representatives": -1}, "purchaser_representatives", "purchaser_representatives"),
    ({"evaluation_days": 0}, "evaluation_days", "evaluation_days"),
    ({"allowed_regions": frozenset({"46"})}, "region_code", "allowed_regions"),
    ({"sitting_window_days": -1}, "sitting_window_days", "sitting_window_days"),
    ({"max_draws_per_month": 0}, "max_draws_per_month", "max_draws_per_month"),
    ({"purchaser_uscc": ""}, "purchaser_uscc", "purchaser_uscc"),
    ({"tender_id": ""}, "tender_id", "tender_id"),
    ({"lot": 0}, "lot", "lot"),
])
def test_malformed_requests_name_the_field(changes: dict, rule: str, field: str) -> None:
    error = refused(**changes)
    assert (error.rule, error.field) == (rule, field)


def test_request_digest_is_canonical_and_sensitive() -> None:
    a = request(seats={"civil": 4, "cost": 2})
    b = request(seats={"cost": 2, "civil": 4}, bidder_usccs=sorted(a.bidder_usccs, reverse=True))
    assert a.digest == b.digest
    for changes in ({"lot": 2}, {"tender_id": "x"}, {"seats": {"civil": 2, "cost": 4}}, {"reserves": {"civil": 1}},
                    {"bidder_usccs": frozenset()}, {"sitting_window_days": 30}, {"max_draws_per_month": None},
                    {"purchaser_representatives": 3}, {"evaluation_days": 2}, {"allowed_regions": frozenset()}):
        assert request(**changes).digest != a.digest, changes
