"""Properties of the evaluation scoring over generated prices, weights, bids and sheets.

The price formula: the benchmark gets the full points, nobody more, a lower price never less.
Evaluate: the order of bids and sheets, and the bids' ids, never change anyone's standing; totals
are the sum of their shown parts and never above 100; ranks follow the totals.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bidding.evaluation.scoring import (
    BidFacts,
    Criterion,
    Result,
    Scheme,
    Sheet,
    evaluate,
    price_score,
)

T0 = datetime(2026, 12, 22, 1, 30, tzinfo=UTC)
yuan = st.integers(min_value=1, max_value=10**13).map(lambda fen: Decimal(fen).scaleb(-2))
weights = st.integers(min_value=1, max_value=10000).map(lambda hundredths: Decimal(hundredths).scaleb(-2))


@given(benchmark=yuan, price=yuan, points=weights)
def test_the_price_score_is_full_for_the_benchmark_and_never_above(benchmark: Decimal, price: Decimal, points: Decimal) -> None:
    low, high = min(benchmark, price), max(benchmark, price)
    assert price_score(low, low, points) == points
    assert Decimal(0) <= price_score(low, high, points) <= points


@given(benchmark=yuan, prices=st.lists(yuan, min_size=2, max_size=2), points=weights)
def test_a_lower_price_never_scores_less(benchmark: Decimal, prices: list[Decimal], points: Decimal) -> None:
    cheaper, dearer = sorted(prices)
    benchmark = min(benchmark, cheaper)
    assert price_score(benchmark, cheaper, points) >= price_score(benchmark, dearer, points)


@st.composite
def evaluations(draw: st.DrawFn) -> tuple[Scheme, list[BidFacts], list[Sheet]]:
    """A comprehensive scheme (price 1..98 points, the rest split between two criteria), its bids and full sheets."""
    price_points = draw(st.integers(min_value=1, max_value=98))
    technical = draw(st.integers(min_value=1, max_value=99 - price_points))
    criteria = (
        Criterion("price", "价格", "price", Decimal(price_points)),
        Criterion("technical", "技术", "technical", Decimal(technical)),
        Criterion("commercial", "商务", "commercial", Decimal(100 - price_points - technical)),
    )
    scheme = Scheme("comprehensive_scoring", criteria, discard_extremes=draw(st.booleans()),
                    tie_break=draw(st.sampled_from(["lower_price", "higher_technical", "earlier_submission"])))
    bid_count = draw(st.integers(min_value=1, max_value=6))
    # Few distinct prices and times, so that equal totals and ties happen.
    bids = [
        BidFacts(bid_id, draw(st.sampled_from([Decimal("100.00"), Decimal("120.00"), Decimal("150.50")])),
                 T0 - timedelta(minutes=draw(st.integers(0, 2))),
                 draw(st.sampled_from([None, None, None, "资格审查不合格"])))
        for bid_id in range(1, bid_count + 1)
    ]
    members = range(1, draw(st.integers(min_value=1, max_value=7)) + 1)

    def points(criterion: Criterion) -> Decimal:
        return Decimal(draw(st.integers(min_value=0, max_value=int(criterion.points * 2)))) / 2  # half points too

    sheets = [Sheet(m, b.bid_id, {c.code: points(c) for c in criteria[1:]}) for m in members for b in bids]
    return scheme, bids, sheets


def _standing(result: Result) -> dict[int, tuple[object, ...]]:
    return {b.bid_id: (b.rank, b.total, b.price_score, dict(b.criteria), b.tied) for b in result.ranked}


@settings(max_examples=200)
@given(case=evaluations(), seed=st.integers(min_value=0, max_value=2**32))
def test_the_order_of_bids_and_sheets_changes_nothing(case: tuple[Scheme, list[BidFacts], list[Sheet]], seed: int) -> None:
    scheme, bids, sheets = case
    shuffler = random.Random(seed)
    shuffled_bids, shuffled_sheets = shuffler.sample(bids, len(bids)), shuffler.sample(sheets, len(sheets))
    assert evaluate(scheme, shuffled_bids, shuffled_sheets).encoded() == evaluate(scheme, bids, sheets).encoded()


@settings(max_examples=200)
@given(case=evaluations(), seed=st.integers(min_value=0, max_value=2**32))
def test_bid_ids_decide_nothing(case: tuple[Scheme, list[BidFacts], list[Sheet]], seed: int) -> None:
    """Renaming the bids renames the result: an equal pair is never split by which id is smaller."""
    scheme, bids, sheets = case
    new_ids = random.Random(seed).sample(range(100, 100 + len(bids)), len(bids))
    rename = {b.bid_id: new for b, new in zip(bids, new_ids, strict=True)}
    renamed = evaluate(scheme, [replace(b, bid_id=rename[b.bid_id]) for b in bids], [replace(s, bid_id=rename[s.bid_id]) for s in sheets])
    assert _standing(renamed) == {rename[bid_id]: row for bid_id, row in _standing(evaluate(scheme, bids, sheets)).items()}


@settings(max_examples=200)
@given(case=evaluations())
def test_totals_add_up_stay_within_100_and_order_the_ranks(case: tuple[Scheme, list[BidFacts], list[Sheet]]) -> None:
    scheme, bids, sheets = case
    result = evaluate(scheme, bids, sheets)
    assert {b.bid_id for b in result.ranked} == {b.bid_id for b in bids if b.rejected_reason is None}
    for row in result.ranked:
        assert row.total is not None and row.price_score is not None
        assert row.total == row.price_score + sum(row.criteria.values(), Decimal(0))
        assert Decimal(0) <= row.total <= 100
        assert all(Decimal(0) <= row.criteria[c.code] <= c.points for c in scheme.criteria[1:])
    for better, worse in itertools.pairwise(result.ranked):
        assert better.total >= worse.total  # type: ignore[operator]
        assert better.rank <= worse.rank
        assert (better.rank == worse.rank) == (better.tied and worse.tied and better.rank == worse.rank)
    ranks = [b.rank for b in result.ranked]
    assert all(rank == 1 + sum(1 for other in ranks if other < rank) for rank in ranks)  # competition ranking: 1, 1, 3
    assert all(b.tied == (ranks.count(b.rank) > 1) for b in result.ranked)


@given(prices=st.lists(st.sampled_from([Decimal("99.99"), Decimal("100.00"), Decimal("250.00")]), min_size=1, max_size=8))
def test_the_lowest_price_method_ranks_by_price(prices: list[Decimal]) -> None:
    scheme = Scheme("lowest_price", (Criterion("price", "价格", "price", Decimal(100)),))
    result = evaluate(scheme, [BidFacts(i, p, T0) for i, p in enumerate(prices)], [])
    assert [b.price for b in result.ranked] == sorted(prices)
    assert all(b.rank == 1 + sum(1 for p in prices if p < b.price) for b in result.ranked)
    assert result.benchmark == min(prices)


@st.composite
def schemes(draw: st.DrawFn) -> Scheme:
    """Any lawful comprehensive scheme: a price of 30 or more, the rest in up to five criteria."""
    price = draw(st.integers(min_value=3000, max_value=9900))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=10000 - price - 1), max_size=4, unique=True)))
    bounds = [0, *cuts, 10000 - price]
    parts = [b - a for a, b in itertools.pairwise(bounds) if b > a]
    criteria = (Criterion("price", "价格", "price", Decimal(price).scaleb(-2)),
                *(Criterion(f"c{i}", f"评分项{i}", draw(st.sampled_from(["technical", "commercial"])), Decimal(p).scaleb(-2))
                  for i, p in enumerate(parts)))
    return Scheme("comprehensive_scoring", criteria, discard_extremes=draw(st.booleans()),
                  disagreement_share=Decimal(draw(st.integers(min_value=1, max_value=100))).scaleb(-2))


@given(scheme=schemes())
def test_a_lawful_scheme_round_trips_through_its_encoding(scheme: Scheme) -> None:
    scheme.check("government", "goods")
    again = Scheme.from_encoded(scheme.encoded())
    assert again == scheme and again.encoded() == scheme.encoded()
