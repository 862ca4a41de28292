"""The evaluation scoring: schemes, the price formula, totals, disagreements, ranking (docs/evaluation.md).

A pure library (the standard library only; an import-linter contract keeps it so): the
evaluation service, its report and its tests share it, and anyone can re-run a result from a
report's scheme, prices and sheets.

- ``Scheme(method, criteria, discard_extremes, tie_break, disagreement_share).check(track, category)``
  refuses what the law does not allow, naming the field and the article; ``encoded()`` /
  ``from_encoded()``; ``default_scheme(track, category, method)``.
- ``price_score(benchmark, price, points)``: benchmark ÷ price × points, two places, halves up.
- ``check_sheet(scheme, Sheet(member_id, bid_id, points))``.
- ``evaluate(scheme, [BidFacts...], [Sheet...])`` → ``Result`` (``ranked``, ``rejected``,
  ``disagreements``, ``candidates(n)``, ``encoded()``).
"""

from bidding.evaluation.scoring.errors import (
    InvalidEvaluation,
    InvalidScheme,
    InvalidSheet,
    ScoringError,
)
from bidding.evaluation.scoring.ranking import (
    BidFacts,
    Disagreement,
    RankedBid,
    Rejected,
    Result,
    Sheet,
    check_sheet,
    evaluate,
    price_score,
)
from bidding.evaluation.scoring.scheme import (
    GOVERNMENT_LOWEST_PRICE,
    GOVERNMENT_SCORING,
    Criterion,
    Kind,
    Method,
    Scheme,
    TieBreak,
    default_scheme,
)

__all__ = [
    "GOVERNMENT_LOWEST_PRICE",
    "GOVERNMENT_SCORING",
    "BidFacts",
    "Criterion",
    "Disagreement",
    "InvalidEvaluation",
    "InvalidScheme",
    "InvalidSheet",
    "Kind",
    "Method",
    "RankedBid",
    "Rejected",
    "Result",
    "Scheme",
    "ScoringError",
    "Sheet",
    "TieBreak",
    "check_sheet",
    "default_scheme",
    "evaluate",
    "price_score",
]
