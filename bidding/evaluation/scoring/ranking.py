"""From the bids' prices and the members' score sheets to a ranked result (docs/evaluation.md).

``evaluate(scheme, bids, sheets)`` is a pure function of its inputs' contents: the order bids
and sheets come in never changes the result, and nothing is ever decided by a bid's or a
member's id. Where the scheme's rules leave bids equal they are marked ``tied`` with the same
rank, for the committee to decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from bidding.evaluation.scoring.decimals import has_two_places, round_half_up, text
from bidding.evaluation.scoring.errors import N_, InvalidEvaluation, InvalidSheet
from bidding.evaluation.scoring.scheme import Criterion, Method, Scheme

RESULT_FORMAT = "evaluation-result/v1"
DISCARD_FROM = 5  # sheets per bid from which the highest and the lowest are discarded


def price_score(benchmark: Decimal, price: Decimal, points: Decimal) -> Decimal:
    """Low-price priority: benchmark ÷ price × points, two places, halves up [政府采购货物和服务招标投标管理办法 第五十五条].

    The benchmark (评标基准价) is the lowest valid price, so it gets the full points and every
    dearer bid proportionally fewer.
    """
    if not (price > 0 and benchmark > 0):
        raise InvalidEvaluation("price", N_("a price is more than 0"))
    if benchmark > price:
        raise InvalidEvaluation("benchmark", N_("the benchmark is the lowest valid price: no bid is below it"))
    return round_half_up(Fraction(benchmark) / Fraction(price) * Fraction(points))


@dataclass(frozen=True)
class BidFacts:
    bid_id: int
    price: Decimal  # the evaluated price in yuan, two places
    submitted_at: datetime  # when the bid (its final version) was received
    rejected_reason: str | None = None  # failed a qualification or compliance check: out, with this reason


@dataclass(frozen=True)
class Sheet:
    """One member's points for one bid on every criterion the members score (all but the price)."""

    member_id: int
    bid_id: int
    points: Mapping[str, Decimal]  # criterion code -> points


def check_sheet(scheme: Scheme, sheet: Sheet) -> None:
    """``InvalidSheet`` naming the criterion (``points.<code>``) for a sheet that does not fit the scheme."""
    scored = {c.code: c for c in scheme.scored_criteria}
    for code in sheet.points:
        if code not in scored:
            raise InvalidSheet(f"points.{code}", N_("%(code)s is not a criterion the members score in this lot"), {"code": code})
    for code, criterion in scored.items():
        if code not in sheet.points:
            raise InvalidSheet(f"points.{code}", N_("%(name)s is not scored yet"), {"name": criterion.name})
        value = sheet.points[code]
        if not (isinstance(value, Decimal) and has_two_places(value) and 0 <= value <= criterion.points):
            raise InvalidSheet(f"points.{code}", N_("%(name)s takes from 0 to %(points)s points, with two decimal places at most"),
                               {"name": criterion.name, "points": text(criterion.points)})


@dataclass(frozen=True)
class RankedBid:
    bid_id: int
    rank: int  # 1 is best; bids the rules leave equal share a rank
    price: Decimal
    price_score: Decimal | None  # comprehensive scoring only
    criteria: Mapping[str, Decimal]  # criterion code -> the members' mean, two places (comprehensive scoring only)
    total: Decimal | None  # price score + criteria means (comprehensive scoring only)
    tied: bool  # equal to another bid under every rule of the scheme: the committee decides
    discarded: tuple[int, ...] = ()  # members whose sheet for this bid was discarded as an extreme


@dataclass(frozen=True)
class Rejected:
    bid_id: int
    reason: str


@dataclass(frozen=True)
class Disagreement:
    """Members' points on one criterion for one bid spread by more than the scheme allows."""

    bid_id: int
    criterion: str
    low: Decimal
    high: Decimal
    low_members: tuple[int, ...]
    high_members: tuple[int, ...]


@dataclass(frozen=True)
class Result:
    method: Method
    benchmark: Decimal | None  # the lowest valid price; None when no bid is valid
    ranked: tuple[RankedBid, ...]  # by rank, then bid id (an order for display only: equal ranks are ties)
    rejected: tuple[Rejected, ...]  # by bid id
    disagreements: tuple[Disagreement, ...] = field(default=())  # by bid id, then the scheme's criterion order

    def candidates(self, n: int = 3) -> tuple[RankedBid, ...]:
        """The bids ranked n-th or better: more than n when a tie straddles the n-th place (all ``tied``)."""
        return tuple(bid for bid in self.ranked if bid.rank <= n)

    def encoded(self) -> dict[str, object]:
        """The canonical JSON-able form, for the report and its digest: amounts as ``"30.00"``."""
        def optional(value: Decimal | None) -> str | None:
            return None if value is None else text(value)

        return {
            "format": RESULT_FORMAT,
            "method": self.method,
            "benchmark": optional(self.benchmark),
            "ranked": [
                {"bid_id": b.bid_id, "rank": b.rank, "price": text(b.price), "price_score": optional(b.price_score),
                 "criteria": {code: text(mean) for code, mean in b.criteria.items()}, "total": optional(b.total),
                 "tied": b.tied, "discarded": list(b.discarded)}
                for b in self.ranked
            ],
            "rejected": [{"bid_id": r.bid_id, "reason": r.reason} for r in self.rejected],
            "disagreements": [
                {"bid_id": d.bid_id, "criterion": d.criterion, "low": text(d.low), "high": text(d.high),
                 "low_members": list(d.low_members), "high_members": list(d.high_members)}
                for d in self.disagreements
            ],
        }


def evaluate(scheme: Scheme, bids: Iterable[BidFacts], sheets: Iterable[Sheet]) -> Result:
    """Rank the valid bids under ``scheme``; ``InvalidEvaluation`` / ``InvalidSheet`` for inputs that do not fit."""
    bids, sheets = tuple(bids), tuple(sheets)
    _check_bids(bids)
    rejected = tuple(sorted((Rejected(b.bid_id, b.rejected_reason) for b in bids if b.rejected_reason is not None), key=lambda r: r.bid_id))
    valid = {b.bid_id: b for b in bids if b.rejected_reason is None}
    by_bid = _sheets_by_bid(scheme, valid, {b.bid_id for b in bids}, sheets)
    benchmark = min((b.price for b in valid.values()), default=None)
    if scheme.method == "lowest_price":
        ranked = _rank(scheme, [_Scored(b, (b.price,)) for b in valid.values()])
        return Result(scheme.method, benchmark, ranked, rejected)
    scored: list[_Scored] = []
    for bid in valid.values():
        counted, discarded = _counted(scheme, by_bid[bid.bid_id])
        means = {c.code: _mean(c, counted) for c in scheme.scored_criteria}
        score = price_score(benchmark, bid.price, scheme.price_criterion.points)  # type: ignore[arg-type]
        total = score + sum(means.values(), Decimal(0))
        scored.append(_Scored(bid, (-total,), score, means, total, discarded))
    disagreements = tuple(d for bid_id in sorted(valid) for d in _disagreements(scheme, bid_id, by_bid[bid_id]))
    return Result(scheme.method, benchmark, _rank(scheme, scored), rejected, disagreements)


def _check_bids(bids: tuple[BidFacts, ...]) -> None:
    seen: set[int] = set()
    for bid in bids:
        if bid.bid_id in seen:
            raise InvalidEvaluation("bids", N_("bid %(bid)s is given twice"), {"bid": bid.bid_id})
        seen.add(bid.bid_id)
        if bid.rejected_reason is None and not (has_two_places(bid.price) and bid.price > 0):
            raise InvalidEvaluation("bids", N_("the price of bid %(bid)s is not an amount of yuan above 0"), {"bid": bid.bid_id})


def _sheets_by_bid(scheme: Scheme, valid: Mapping[int, BidFacts], known: set[int], sheets: tuple[Sheet, ...]) -> dict[int, list[Sheet]]:
    """Each valid bid's sheets, every one checked; every valid bid scored by the same members."""
    if scheme.method == "lowest_price" and sheets:
        raise InvalidEvaluation("sheets", N_("the lowest evaluated price method takes no score sheets"))
    by_bid: dict[int, list[Sheet]] = {bid_id: [] for bid_id in valid}
    pairs: set[tuple[int, int]] = set()
    for sheet in sheets:
        if sheet.bid_id not in known:
            raise InvalidEvaluation("sheets", N_("a sheet scores bid %(bid)s, which is not among the bids"), {"bid": sheet.bid_id})
        if (sheet.member_id, sheet.bid_id) in pairs:
            raise InvalidEvaluation("sheets", N_("member %(member)s has two sheets for bid %(bid)s"), {"member": sheet.member_id, "bid": sheet.bid_id})
        pairs.add((sheet.member_id, sheet.bid_id))
        if sheet.bid_id in valid:  # a rejected bid's sheets (scored before it was rejected) do not count
            check_sheet(scheme, sheet)
            by_bid[sheet.bid_id].append(sheet)
    if scheme.method == "comprehensive_scoring" and valid and scheme.scored_criteria:
        members = {s.member_id for sheets_of_bid in by_bid.values() for s in sheets_of_bid}
        if not members:
            raise InvalidEvaluation("sheets", N_("no member has scored the bids"))
        for bid_id in sorted(by_bid):
            missing = members - {s.member_id for s in by_bid[bid_id]}
            if missing:
                raise InvalidEvaluation("sheets", N_("member %(member)s has not scored bid %(bid)s"), {"member": min(missing), "bid": bid_id})
    return by_bid


def _sheet_order(scheme: Scheme, sheet: Sheet) -> tuple[Decimal, tuple[Decimal, ...]]:
    """A sheet's total, then its points in the scheme's criterion order: equal keys mean equal sheets."""
    points = tuple(sheet.points[c.code] for c in scheme.scored_criteria)
    return sum(points, Decimal(0)), points


def _counted(scheme: Scheme, sheets: list[Sheet]) -> tuple[list[Sheet], tuple[int, ...]]:
    """The sheets that count for one bid, and the members whose sheet was discarded.

    With ``discard_extremes`` and at least five sheets, the sheet with the highest total and the
    one with the lowest are left out. Among sheets of equal total the one compared highest
    (lowest) criterion by criterion in the scheme's order goes; sheets equal in that too are
    identical, so which of them goes changes no mean (the member listed is the lowest id).
    """
    if not (scheme.discard_extremes and len(sheets) >= DISCARD_FROM):
        return sheets, ()
    ordered = sorted(sheets, key=lambda s: (_sheet_order(scheme, s), s.member_id))
    low = ordered[0]
    high = max(ordered[1:], key=lambda s: (_sheet_order(scheme, s), -s.member_id))
    return [s for s in ordered if s is not low and s is not high], tuple(sorted((low.member_id, high.member_id)))


def _mean(criterion: Criterion, sheets: list[Sheet]) -> Decimal:
    return round_half_up(sum((Fraction(s.points[criterion.code]) for s in sheets), Fraction(0)) / len(sheets))


def _disagreements(scheme: Scheme, bid_id: int, sheets: list[Sheet]) -> Iterable[Disagreement]:
    """Every sheet counts here, discarded or not: the spread is for the committee to discuss."""
    for criterion in scheme.scored_criteria:
        values = [(s.points[criterion.code], s.member_id) for s in sheets]
        low, high = min(v for v, _ in values), max(v for v, _ in values)
        if high - low > scheme.disagreement_share * criterion.points:
            yield Disagreement(bid_id, criterion.code, low, high,
                               tuple(sorted(m for v, m in values if v == low)), tuple(sorted(m for v, m in values if v == high)))


def _tie_key(scheme: Scheme, bid: BidFacts, means: Mapping[str, Decimal]) -> tuple[object, ...]:
    """What decides between bids equal on the method's own measure (government: the price, 第五十五条)."""
    if scheme.tie_break == "lower_price":
        return (bid.price,)
    if scheme.tie_break == "higher_technical":
        return (-sum((means[c.code] for c in scheme.scored_criteria if c.kind == "technical"), Decimal(0)),)
    return (bid.submitted_at,)


@dataclass(frozen=True)
class _Scored:
    bid: BidFacts
    measure: tuple[Decimal, ...]  # the method's own measure, lower ranks first: (-total,) or (price,)
    price_score: Decimal | None = None
    means: Mapping[str, Decimal] = field(default_factory=dict)
    total: Decimal | None = None
    discarded: tuple[int, ...] = ()


def _rank(scheme: Scheme, scored: list[_Scored]) -> tuple[RankedBid, ...]:
    """Competition ranking (1, 1, 3) on the method's measure, then the tie-break; bid ids only order the display."""
    def key(entry: _Scored) -> tuple[object, ...]:
        return entry.measure + _tie_key(scheme, entry.bid, entry.means)

    ordered = sorted(scored, key=lambda entry: (key(entry), entry.bid.bid_id))
    keys = [key(entry) for entry in ordered]
    return tuple(
        RankedBid(e.bid.bid_id, keys.index(k) + 1, e.bid.price, e.price_score, e.means, e.total, keys.count(k) > 1, e.discarded)
        for e, k in zip(ordered, keys, strict=True)
    )
