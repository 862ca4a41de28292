"""A lot's evaluation scheme: the method, the criteria and their points, and the ranking rules.

Chosen per lot at publication (docs/evaluation.md §1). ``Scheme.check(track, category)``
refuses what the law or the platform does not allow, naming the field and, where a law sets
the rule, the article; ``encoded()`` / ``from_encoded()`` give the one canonical form that is
stored on the lot and copied into the evaluation report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from bidding.evaluation.scoring.decimals import has_two_places, text
from bidding.evaluation.scoring.errors import N_, InvalidScheme

Method = Literal["comprehensive_scoring", "lowest_price"]  # 综合评分法 / 最低评标价法
Kind = Literal["price", "technical", "commercial"]
TieBreak = Literal["lower_price", "higher_technical", "earlier_submission"]
# The values of procurement.tenders.rules.Track and Category (this library imports nothing of ours).
TRACKS = ("works", "government")
CATEGORIES = ("goods", "services", "works")

SCHEME_FORMAT = "evaluation-scheme/v1"
TOTAL_POINTS = Decimal(100)
MAX_CRITERIA = 30
MAX_NAME_LENGTH = 100
DEFAULT_DISAGREEMENT_SHARE = Decimal("0.30")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

# 政府采购货物和服务招标投标管理办法 (财政部令第87号): 第五十五条 sets the price weight's floor, the
# low-price-priority formula and the ranking of equal scores (by the lower price, then 并列);
# 第五十四条 ranks the lowest evaluated price method's equal prices as 并列.
GOVERNMENT_SCORING = "政府采购货物和服务招标投标管理办法 第五十五条"
GOVERNMENT_LOWEST_PRICE = "政府采购货物和服务招标投标管理办法 第五十四条"
PRICE_FLOOR: dict[str, Decimal] = {"goods": Decimal(30), "services": Decimal(10)}  # government track only
_FLOOR_MESSAGES = {
    "goods": N_("for goods the price criterion must carry at least %(floor)s of the 100 points; it carries %(points)s"),
    "services": N_("for services the price criterion must carry at least %(floor)s of the 100 points; it carries %(points)s"),
}


@dataclass(frozen=True)
class Criterion:
    code: str  # stable key of the criterion in sheets and results: "price", "technical", "after_sales"
    name: str  # as the tender documents call it: "技术方案"
    kind: Kind
    points: Decimal  # the most a bid can get on it; two places at most


@dataclass(frozen=True)
class Scheme:
    method: Method
    criteria: tuple[Criterion, ...]
    discard_extremes: bool = False  # drop each bid's highest and lowest sheet when 5 or more members scored
    tie_break: TieBreak = "lower_price"
    # A criterion is flagged for discussion when the members' points on it for one bid spread
    # by more than this share of its points.
    disagreement_share: Decimal = DEFAULT_DISAGREEMENT_SHARE

    @property
    def price_criterion(self) -> Criterion:
        return next(c for c in self.criteria if c.kind == "price")

    @property
    def scored_criteria(self) -> tuple[Criterion, ...]:
        """The criteria the members score by hand: all but the price, which the formula scores."""
        return tuple(c for c in self.criteria if c.kind != "price")

    def check(self, track: str, category: str) -> None:
        """Raises ``InvalidScheme`` (field, template, params, article) for the first rule broken."""
        _require_known(track, category)
        if self.method not in get_args(Method):
            raise InvalidScheme("method", N_("the evaluation method is comprehensive_scoring or lowest_price, not %(method)s"),
                                {"method": self.method})
        self._check_criteria()
        if self.method == "comprehensive_scoring":
            self._check_comprehensive(track, category)
        else:
            self._check_lowest_price()
        self._check_tie_break(track)
        if not (has_two_places(self.disagreement_share) and 0 < self.disagreement_share <= 1):
            raise InvalidScheme("disagreement_share", N_("the disagreement share is more than 0 and at most 1, with two decimal places at most"))

    def _check_criteria(self) -> None:  # the rules every method shares
        if not 1 <= len(self.criteria) <= MAX_CRITERIA:
            raise InvalidScheme("criteria", N_("a scheme has between 1 and %(most)s criteria"), {"most": MAX_CRITERIA})
        seen: set[str] = set()
        for index, criterion in enumerate(self.criteria):
            at = f"criteria[{index}]"
            if not _CODE.match(criterion.code):
                raise InvalidScheme(f"{at}.code", N_("a criterion code is 1 to 32 lowercase letters, digits or underscores, starting with a letter"))
            if criterion.code in seen:
                raise InvalidScheme(f"{at}.code", N_("the criterion code %(code)s is used twice"), {"code": criterion.code})
            seen.add(criterion.code)
            if not criterion.name.strip() or len(criterion.name) > MAX_NAME_LENGTH:
                raise InvalidScheme(f"{at}.name", N_("a criterion needs a name of at most %(most)s characters"), {"most": MAX_NAME_LENGTH})
            if criterion.kind not in get_args(Kind):
                raise InvalidScheme(f"{at}.kind", N_("a criterion is of kind price, technical or commercial, not %(kind)s"), {"kind": criterion.kind})
            if not (has_two_places(criterion.points) and 0 < criterion.points <= TOTAL_POINTS):
                raise InvalidScheme(f"{at}.points", N_("a criterion's points are more than 0 and at most 100, with two decimal places at most"))

    def _check_comprehensive(self, track: str, category: str) -> None:
        prices = [i for i, c in enumerate(self.criteria) if c.kind == "price"]
        if len(prices) != 1:
            raise InvalidScheme("criteria", N_("comprehensive scoring has exactly one price criterion; this scheme has %(count)s"),
                                {"count": len(prices)})
        total = sum((c.points for c in self.criteria), Decimal(0))
        if total != TOTAL_POINTS:
            raise InvalidScheme("criteria", N_("the criteria's points add up to %(total)s; they must add up to 100"), {"total": text(total)})
        floor = PRICE_FLOOR.get(category) if track == "government" else None
        price = self.criteria[prices[0]]
        if floor is not None and price.points < floor:
            raise InvalidScheme(f"criteria[{prices[0]}].points", _FLOOR_MESSAGES[category],
                                {"floor": text(floor), "points": text(price.points)}, GOVERNMENT_SCORING)

    def _check_lowest_price(self) -> None:
        only = self.criteria[0]
        if len(self.criteria) != 1 or only.kind != "price" or only.points != TOTAL_POINTS:
            raise InvalidScheme("criteria", N_("the lowest evaluated price method has one criterion, the price, worth 100 points; "
                                               "technical and commercial requirements are pass or fail checks"))
        if self.discard_extremes:
            raise InvalidScheme("discard_extremes", N_("the lowest evaluated price method has no scores whose extremes could be discarded"))

    def _check_tie_break(self, track: str) -> None:
        if self.tie_break not in get_args(TieBreak):
            raise InvalidScheme("tie_break", N_("a tie is broken by lower_price, higher_technical or earlier_submission, not %(tie_break)s"),
                                {"tie_break": self.tie_break})
        if track == "government" and self.tie_break != "lower_price":
            if self.method == "comprehensive_scoring":
                raise InvalidScheme("tie_break", N_("in government procurement equal scores are ranked by the lower price, "
                                                    "and bids equal in both are ranked equal"), article=GOVERNMENT_SCORING)
            raise InvalidScheme("tie_break", N_("in government procurement equal prices are ranked equal"), article=GOVERNMENT_LOWEST_PRICE)
        if self.tie_break == "higher_technical" and not any(c.kind == "technical" for c in self.criteria):
            raise InvalidScheme("tie_break", N_("ties cannot go to the higher technical score: the scheme has no technical criterion"))

    def encoded(self) -> dict[str, object]:
        """The canonical JSON-able form: strings, booleans and arrays; amounts as ``"30.00"``."""
        return {
            "format": SCHEME_FORMAT,
            "method": self.method,
            "criteria": [{"code": c.code, "name": c.name, "kind": c.kind, "points": text(c.points)} for c in self.criteria],
            "discard_extremes": self.discard_extremes,
            "tie_break": self.tie_break,
            "disagreement_share": text(self.disagreement_share),
        }

    @classmethod
    def from_encoded(cls, data: Mapping[str, object]) -> Scheme:
        """The scheme ``encoded()`` gave; ``InvalidScheme`` for anything else (rules are ``check``'s)."""
        try:
            criteria = tuple(
                Criterion(code=str(c["code"]), name=str(c["name"]), kind=c["kind"], points=Decimal(str(c["points"])))
                for c in data["criteria"]  # type: ignore[attr-defined]
            )
            scheme = cls(method=data["method"], criteria=criteria, discard_extremes=data["discard_extremes"],  # type: ignore[arg-type]
                         tie_break=data["tie_break"], disagreement_share=Decimal(str(data["disagreement_share"])))  # type: ignore[arg-type]
            # Only the canonical form itself is read back: one scheme, one text, one digest.
            canonical = isinstance(scheme.discard_extremes, bool) and scheme.encoded() == dict(data)
        except (KeyError, TypeError, ValueError, InvalidOperation):
            canonical = False
        if not canonical:
            raise InvalidScheme("format", N_("not an evaluation scheme in the format %(format)s"), {"format": SCHEME_FORMAT})
        return scheme


# Default weights when the tender names none: lawful on every track (the government price floors
# are 30 for goods and 10 for services), with the price weighing more where quality is easier to
# specify in advance (works priced on a bill of quantities).
_DEFAULT_WEIGHTS: dict[str, tuple[int, int, int]] = {"goods": (30, 50, 20), "services": (20, 60, 20), "works": (50, 40, 10)}


def _require_known(track: str, category: str) -> None:
    # Track and category come from the tender, validated there: anything else is a programming error.
    if track not in TRACKS or category not in CATEGORIES:
        raise ValueError(f"unknown track {track!r} or category {category!r}")


def default_scheme(track: str, category: str, method: Method) -> Scheme:
    """The scheme a lot gets when its tender sets none (checked, so always lawful for the track)."""
    _require_known(track, category)
    if method == "lowest_price":
        scheme = Scheme(method, (Criterion("price", "价格", "price", TOTAL_POINTS),))
    else:
        price, technical, commercial = _DEFAULT_WEIGHTS[category]
        scheme = Scheme(method, (
            Criterion("price", "价格", "price", Decimal(price)),
            Criterion("technical", "技术", "technical", Decimal(technical)),
            Criterion("commercial", "商务", "commercial", Decimal(commercial)),
        ))
    scheme.check(track, category)
    return scheme
