"""Evaluation (评标): the committee's scoring of opened bids, and its result.

``bidding.evaluation.scoring`` is the pure scoring library (schemes, the price formula,
totals, ranking); its API is re-exported here.
"""

from bidding.evaluation.scoring import (
    GOVERNMENT_LOWEST_PRICE,
    GOVERNMENT_SCORING,
    BidFacts,
    Criterion,
    Disagreement,
    InvalidEvaluation,
    InvalidScheme,
    InvalidSheet,
    Kind,
    Method,
    RankedBid,
    Rejected,
    Result,
    Scheme,
    ScoringError,
    Sheet,
    TieBreak,
    check_sheet,
    default_scheme,
    evaluate,
    price_score,
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
