"""The evaluation scoring library by example: schemes and their articles, the price formula,
discarded extremes, disagreements, ties and the lowest-price method (docs/evaluation.md)."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bidding.evaluation.scoring import (
    GOVERNMENT_LOWEST_PRICE,
    GOVERNMENT_SCORING,
    BidFacts,
    Criterion,
    InvalidEvaluation,
    InvalidScheme,
    InvalidSheet,
    Scheme,
    Sheet,
    check_sheet,
    default_scheme,
    evaluate,
    price_score,
)

D = Decimal
T0 = datetime(2026, 12, 22, 1, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _scheme(*weights: tuple[str, str, str], method: str = "comprehensive_scoring", **rules: object) -> Scheme:
    """``("price", "price", "30"), ("technical", "technical", "70")`` → a scheme of those criteria."""
    return Scheme(method, tuple(Criterion(code, code, kind, D(points)) for code, kind, points in weights), **rules)  # type: ignore[arg-type]


def _bid(bid_id: int, price: str, *, minutes: int = 0, rejected: str | None = None) -> BidFacts:
    return BidFacts(bid_id, D(price), T0 - timedelta(minutes=minutes), rejected)


def _sheets(bid_id: int, *rows: tuple[str, ...], codes: tuple[str, ...] = ("technical", "commercial")) -> list[Sheet]:
    """One sheet per row, members 1, 2, ... in order."""
    return [Sheet(member, bid_id, {code: D(v) for code, v in zip(codes, row, strict=True)}) for member, row in enumerate(rows, start=1)]


# --- The worked example of docs/evaluation.md §7 ------------------------------------------------

WORKED_SCHEME = replace(default_scheme("government", "goods", "comprehensive_scoring"), discard_extremes=True)
WORKED_BIDS = [
    _bid(11, "960000.00"), _bid(12, "900000.00"), _bid(13, "1000000.00"),
    _bid(14, "850000.00", rejected="投标保证金未按招标文件要求提交"),
]
WORKED_SHEETS = [
    *_sheets(11, ("42", "16"), ("45", "17"), ("40", "15"), ("44", "18"), ("29", "12")),
    *_sheets(12, ("40", "15"), ("41", "16"), ("38", "14"), ("42", "15"), ("40", "15")),
    *_sheets(13, ("46", "18"), ("47", "18"), ("45", "17"), ("48", "19"), ("46", "18")),
]


def test_the_worked_example_of_the_docs() -> None:
    result = evaluate(WORKED_SCHEME, WORKED_BIDS, WORKED_SHEETS)
    assert result.benchmark == D("900000.00")  # the rejected bid's lower price is no benchmark
    assert [(r.bid_id, r.reason) for r in result.rejected] == [(14, "投标保证金未按招标文件要求提交")]
    rows = {b.bid_id: b for b in result.ranked}
    assert (rows[12].price_score, rows[11].price_score, rows[13].price_score) == (D("30.00"), D("28.13"), D("27.00"))
    # Bid 11: member 5's sheet (41) is the lowest; members 2 and 4 both total 62, and member 2's
    # is higher on the first criterion (technical 45 > 44), so member 2's goes.
    assert rows[11].discarded == (2, 5)
    assert dict(rows[11].criteria) == {"technical": D("42.00"), "commercial": D("16.33")}
    assert rows[11].total == D("86.46")
    assert rows[12].discarded == (3, 4) and rows[12].total == D("85.66")
    assert rows[13].discarded == (3, 4) and rows[13].total == D("91.33")
    assert [(b.bid_id, b.rank, b.tied) for b in result.ranked] == [(13, 1, False), (11, 2, False), (12, 3, False)]
    # Every sheet counts for disagreements, discarded or not: 45 - 29 = 16 > 30% of 50.
    [flag] = result.disagreements
    assert (flag.bid_id, flag.criterion, flag.low, flag.high, flag.low_members, flag.high_members) == (11, "technical", D("29"), D("45"), (5,), (2,))
    assert [b.bid_id for b in result.candidates()] == [13, 11, 12]
    assert [b.bid_id for b in result.candidates(2)] == [13, 11]


def test_without_discarding_the_same_sheets_rank_bids_11_and_12_the_other_way() -> None:
    result = evaluate(replace(WORKED_SCHEME, discard_extremes=False), WORKED_BIDS, WORKED_SHEETS)
    rows = {b.bid_id: b for b in result.ranked}
    assert (rows[11].total, rows[12].total) == (D("83.73"), D("85.20"))
    assert [b.bid_id for b in result.ranked] == [13, 12, 11]
    assert all(b.discarded == () for b in result.ranked)


def test_the_encoded_result_is_plain_json_with_amounts_as_text() -> None:
    encoded = evaluate(WORKED_SCHEME, WORKED_BIDS, WORKED_SHEETS).encoded()
    assert json.loads(json.dumps(encoded)) == encoded
    assert encoded["format"] == "evaluation-result/v1" and encoded["benchmark"] == "900000.00"
    first = encoded["ranked"][0]  # type: ignore[index]
    assert first == {"bid_id": 13, "rank": 1, "price": "1000000.00", "price_score": "27.00",
                     "criteria": {"technical": "46.33", "commercial": "18.00"}, "total": "91.33", "tied": False, "discarded": [3, 4]}


def test_fewer_than_five_sheets_discard_nothing() -> None:
    scheme = _scheme(("price", "price", "30"), ("technical", "technical", "70"), discard_extremes=True)
    sheets = _sheets(1, ("70",), ("10",), ("40",), ("40",), codes=("technical",))
    [only] = evaluate(scheme, [_bid(1, "100.00")], sheets).ranked
    assert only.discarded == () and only.criteria["technical"] == D("40.00")


# --- The price formula --------------------------------------------------------------------------


def test_the_price_formula_rounds_half_up_to_two_places() -> None:
    assert price_score(D("100000.00"), D("100000.00"), D("30")) == D("30.00")
    assert price_score(D("100000.00"), D("120000.00"), D("30")) == D("25.00")
    assert price_score(D("100.00"), D("300.00"), D("10")) == D("3.33")
    assert price_score(D("1.00"), D("8.00"), D("1")) == D("0.13")  # 0.125: half up, not to even
    assert price_score(D("900000.00"), D("960000.00"), D("30")) == D("28.13")  # 28.125


@pytest.mark.parametrize(("benchmark", "price"), [("0", "1"), ("1", "0"), ("-1", "1"), ("2.00", "1.00")])
def test_the_price_formula_refuses_nonsense(benchmark: str, price: str) -> None:
    with pytest.raises(InvalidEvaluation):
        price_score(D(benchmark), D(price), D("30"))


# --- Schemes: the rules and their articles ------------------------------------------------------


def _refusal(scheme: Scheme, track: str = "government", category: str = "goods") -> InvalidScheme:
    with pytest.raises(InvalidScheme) as caught:
        scheme.check(track, category)
    return caught.value


@pytest.mark.parametrize(("category", "floor"), [("goods", "30"), ("services", "10")])
def test_the_government_price_weight_has_a_floor_by_category(category: str, floor: str) -> None:
    below = D(floor) - D("0.01")
    refused = _refusal(_scheme(("technical", "technical", str(100 - below)), ("price", "price", str(below))), category=category)
    assert (refused.field, refused.article) == ("criteria[1].points", GOVERNMENT_SCORING)
    assert refused.params == {"floor": f"{floor}.00", "points": str(below)}
    _scheme(("price", "price", floor), ("technical", "technical", str(100 - int(floor)))).check("government", category)


def test_works_have_no_price_floor() -> None:
    _scheme(("price", "price", "5"), ("technical", "technical", "95")).check("works", "works")
    _scheme(("price", "price", "5"), ("technical", "technical", "95")).check("works", "goods")


@pytest.mark.parametrize(("criteria", "field"), [
    ((("price", "price", "30"), ("technical", "technical", "69.99")), "criteria"),  # 99.99 in all
    ((("price", "price", "30"), ("cheap", "price", "20"), ("technical", "technical", "50")), "criteria"),  # two prices
    ((("technical", "technical", "100"),), "criteria"),  # no price
    ((("price", "price", "30"), ("price", "technical", "70")), "criteria[1].code"),
    ((("price", "price", "30"), ("Tech", "technical", "70")), "criteria[1].code"),
    ((("price", "price", "30"), ("technical", "quality", "70")), "criteria[1].kind"),
    ((("price", "price", "30"), ("technical", "technical", "70.001")), "criteria[1].points"),
    ((("price", "price", "30"), ("technical", "technical", "70"), ("service", "commercial", "0")), "criteria[2].points"),
])
def test_a_comprehensive_scheme_needs_one_price_unique_codes_and_100_points(criteria: tuple[tuple[str, str, str], ...], field: str) -> None:
    refused = _refusal(_scheme(*criteria))
    assert refused.field == field and refused.article == ""


def test_a_criterion_needs_a_name() -> None:
    scheme = Scheme("comprehensive_scoring", (Criterion("price", "价格", "price", D(30)), Criterion("technical", " ", "technical", D(70))))
    assert _refusal(scheme).field == "criteria[1].name"


def test_the_lowest_price_method_has_the_price_alone_and_nothing_to_discard() -> None:
    assert _refusal(_scheme(("price", "price", "70"), ("technical", "technical", "30"), method="lowest_price")).field == "criteria"
    assert _refusal(_scheme(("price", "price", "50"), method="lowest_price")).field == "criteria"
    discarding = _scheme(("price", "price", "100"), method="lowest_price", discard_extremes=True)
    assert _refusal(discarding).field == "discard_extremes"


def test_government_ties_go_to_the_lower_price_by_article() -> None:
    scoring = _scheme(("price", "price", "30"), ("technical", "technical", "70"), tie_break="earlier_submission")
    refused = _refusal(scoring)
    assert (refused.field, refused.article) == ("tie_break", GOVERNMENT_SCORING)
    lowest = _scheme(("price", "price", "100"), method="lowest_price", tie_break="earlier_submission")
    assert _refusal(lowest).article == GOVERNMENT_LOWEST_PRICE
    scoring.check("works", "works")
    lowest.check("works", "works")


def test_higher_technical_needs_a_technical_criterion() -> None:
    commercial_only = _scheme(("price", "price", "60"), ("commercial", "commercial", "40"), tie_break="higher_technical")
    assert _refusal(commercial_only, "works", "works").field == "tie_break"
    lowest = _scheme(("price", "price", "100"), method="lowest_price", tie_break="higher_technical")
    assert _refusal(lowest, "works", "works").field == "tie_break"


@pytest.mark.parametrize("share", ["0", "1.01", "0.333"])
def test_the_disagreement_share_is_a_fraction_of_the_points(share: str) -> None:
    scheme = replace(default_scheme("works", "works", "comprehensive_scoring"), disagreement_share=D(share))
    assert _refusal(scheme, "works", "works").field == "disagreement_share"


def test_an_unknown_method_is_refused_and_an_unknown_track_is_a_programming_error() -> None:
    assert _refusal(_scheme(("price", "price", "100"), method="best_value")).field == "method"
    with pytest.raises(ValueError, match="unknown track"):
        default_scheme("works", "works", "comprehensive_scoring").check("military", "goods")


@pytest.mark.parametrize("track", ["works", "government"])
@pytest.mark.parametrize("category", ["goods", "services", "works"])
@pytest.mark.parametrize("method", ["comprehensive_scoring", "lowest_price"])
def test_every_default_scheme_is_lawful_and_round_trips(track: str, category: str, method: str) -> None:
    scheme = default_scheme(track, category, method)  # type: ignore[arg-type]
    scheme.check(track, category)
    assert scheme.method == method
    text = json.dumps(scheme.encoded(), ensure_ascii=False)
    assert Scheme.from_encoded(json.loads(text)) == scheme


@pytest.mark.parametrize("spoil", [
    lambda e: {**e, "format": "evaluation-scheme/v0"},
    lambda e: {k: v for k, v in e.items() if k != "tie_break"},
    lambda e: {**e, "criteria": [{**e["criteria"][0], "points": "30"}, *e["criteria"][1:]]},  # not canonical
    lambda e: {**e, "discard_extremes": "no"},
    lambda e: {**e, "disagreement_share": "a third"},
    lambda e: {**e, "criteria": "price"},
    lambda e: {**e, "extra": 1},
])
def test_only_the_canonical_encoding_is_read_back(spoil) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidScheme):
        Scheme.from_encoded(spoil(default_scheme("government", "goods", "comprehensive_scoring").encoded()))


def test_migration_0023_wrote_canonical_lawful_schemes() -> None:
    path = ROOT / "procurement" / "migrations" / "versions" / "0023_evaluation.py"
    spec = importlib.util.spec_from_file_location("migration_0023", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for category, text in migration.COMPREHENSIVE.items():
        Scheme.from_encoded(json.loads(text)).check("government" if category != "works" else "works", category)
    assert Scheme.from_encoded(json.loads(migration.LOWEST_PRICE)).method == "lowest_price"


# --- Sheets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("points", "field"), [
    ({"technical": D("40")}, "points.commercial"),
    ({"technical": D("40"), "commercial": D("10"), "price": D("30")}, "points.price"),
    ({"technical": D("40"), "commercial": D("10"), "style": D("1")}, "points.style"),
    ({"technical": D("50.01"), "commercial": D("10")}, "points.technical"),
    ({"technical": D("-1"), "commercial": D("10")}, "points.technical"),
    ({"technical": D("40.005"), "commercial": D("10")}, "points.technical"),
    ({"technical": 40.5, "commercial": D("10")}, "points.technical"),
])
def test_a_sheet_names_the_criterion_at_fault(points: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidSheet) as caught:
        check_sheet(default_scheme("government", "goods", "comprehensive_scoring"), Sheet(1, 1, points))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_full_sheet_within_the_points_passes() -> None:
    check_sheet(default_scheme("government", "goods", "comprehensive_scoring"), Sheet(1, 1, {"technical": D("50"), "commercial": D("0")}))


# --- Evaluate: what it refuses and what it leaves out -------------------------------------------

TWO = _scheme(("price", "price", "30"), ("technical", "technical", "70"))


@pytest.mark.parametrize(("bids", "sheets", "template"), [
    ([_bid(1, "100.00"), _bid(1, "120.00")], [], "bid %(bid)s is given twice"),
    ([_bid(1, "0.00")], [], "the price of bid %(bid)s is not an amount of yuan above 0"),
    ([_bid(1, "100.001")], [], "the price of bid %(bid)s is not an amount of yuan above 0"),
    ([_bid(1, "100.00")], [Sheet(1, 2, {"technical": D(1)})], "a sheet scores bid %(bid)s, which is not among the bids"),
    ([_bid(1, "100.00")], [Sheet(1, 1, {"technical": D(1)})] * 2, "member %(member)s has two sheets for bid %(bid)s"),
    ([_bid(1, "100.00"), _bid(2, "100.00")], [Sheet(1, 1, {"technical": D(1)})], "member %(member)s has not scored bid %(bid)s"),
    ([_bid(1, "100.00")], [], "no member has scored the bids"),
])
def test_evaluate_refuses_inputs_that_do_not_make_one_evaluation(bids: list[BidFacts], sheets: list[Sheet], template: str) -> None:
    with pytest.raises(InvalidEvaluation) as caught:
        evaluate(TWO, bids, sheets)
    assert caught.value.template == template


def test_a_rejected_bids_sheets_and_price_do_not_count() -> None:
    bids = [_bid(1, "100.00"), _bid(2, "50.00", rejected="资格审查不合格")]
    sheets = [Sheet(1, 1, {"technical": D(60)}), Sheet(1, 2, {"technical": D(70)})]
    result = evaluate(TWO, bids, sheets)
    assert result.benchmark == D("100.00")
    assert [(b.bid_id, b.total) for b in result.ranked] == [(1, D("90.00"))]


def test_all_rejected_leaves_nothing_to_rank() -> None:
    result = evaluate(TWO, [_bid(2, "5.00", rejected="b"), _bid(1, "5.00", rejected="a")], [])
    assert result.ranked == () and result.benchmark is None and result.candidates() == ()
    assert [r.bid_id for r in result.rejected] == [1, 2]


# --- Ties ---------------------------------------------------------------------------------------


def test_equal_totals_go_to_the_lower_price_and_equal_in_both_stay_tied() -> None:
    # 30.00 + 50 = 80.00 = 25.00 + 55; bid 3 matches bid 2 in total and price.
    bids = [_bid(2, "120.00"), _bid(1, "100.00"), _bid(3, "120.00"), _bid(4, "200.00")]
    sheets = [Sheet(1, 1, {"technical": D(50)}), Sheet(1, 2, {"technical": D(55)}), Sheet(1, 3, {"technical": D(55)}),
              Sheet(1, 4, {"technical": D(0)})]
    result = evaluate(TWO, bids, sheets)
    assert [(b.bid_id, b.total, b.rank, b.tied) for b in result.ranked] == [
        (1, D("80.00"), 1, False), (2, D("80.00"), 2, True), (3, D("80.00"), 2, True), (4, D("15.00"), 4, False)]
    assert [b.bid_id for b in result.candidates(2)] == [1, 2, 3]  # the tie straddles second place: the committee decides


def test_higher_technical_and_earlier_submission_break_ties_on_the_works_track() -> None:
    scheme = _scheme(("price", "price", "40"), ("technical", "technical", "40"), ("commercial", "commercial", "20"))
    bids = [_bid(1, "100.00", minutes=5), _bid(2, "100.00", minutes=10)]
    sheets = [Sheet(1, 1, {"technical": D(30), "commercial": D(10)}), Sheet(1, 2, {"technical": D(20), "commercial": D(20)})]
    by_technical = evaluate(replace(scheme, tie_break="higher_technical"), bids, sheets)
    assert [(b.bid_id, b.rank, b.tied) for b in by_technical.ranked] == [(1, 1, False), (2, 2, False)]
    by_time = evaluate(replace(scheme, tie_break="earlier_submission"), bids, sheets)
    assert [(b.bid_id, b.rank, b.tied) for b in by_time.ranked] == [(2, 1, False), (1, 2, False)]
    by_price = evaluate(scheme, bids, sheets)
    assert [(b.bid_id, b.rank, b.tied) for b in by_price.ranked] == [(1, 1, True), (2, 1, True)]


# --- The lowest evaluated price -----------------------------------------------------------------

LOWEST = default_scheme("works", "works", "lowest_price")


def test_the_lowest_price_ranks_by_price_and_equal_prices_rank_equal() -> None:
    bids = [_bid(1, "300.00"), _bid(2, "200.00"), _bid(3, "200.00"), _bid(4, "100.00", rejected="技术参数不满足")]
    result = evaluate(LOWEST, bids, [])
    assert result.benchmark == D("200.00")
    assert [(b.bid_id, b.rank, b.tied, b.total, b.price_score) for b in result.ranked] == [
        (2, 1, True, None, None), (3, 1, True, None, None), (1, 3, False, None, None)]
    by_time = evaluate(replace(LOWEST, tie_break="earlier_submission"), [_bid(2, "200.00", minutes=1), _bid(3, "200.00", minutes=2)], [])
    assert [(b.bid_id, b.rank, b.tied) for b in by_time.ranked] == [(3, 1, False), (2, 2, False)]


def test_the_lowest_price_takes_no_sheets() -> None:
    with pytest.raises(InvalidEvaluation):
        evaluate(LOWEST, [_bid(1, "100.00")], [Sheet(1, 1, {})])
