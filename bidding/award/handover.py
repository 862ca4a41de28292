"""What the evaluation hands to the award: one lot's signed report and its ranked bids.

The evaluation (``bidding.evaluation``) builds an ``EvaluatedLot`` once the committee has
signed its report and passes it to ``bidding.award.service.receive_evaluation``. Plain frozen
data with no database types, so neither side imports the other's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class RankedBid:
    """One recommended bid. ``rank`` starts at 1; ``price`` is the evaluated price in yuan;
    ``total`` is the comprehensive score (None under the lowest-price method)."""

    bid_id: int
    organisation_id: int
    rank: int
    price: Decimal
    total: Decimal | None


@dataclass(frozen=True)
class EvaluatedLot:
    """A lot's evaluation outcome. ``ranked`` is in rank order and holds the recommended
    candidates (the award keeps at most three); ``report_digest`` is the SHA-256 hex of the
    signed report; ``reported_at`` is when the report was signed (UTC, aware) and starts the
    publicity limits; ``committee_names`` are the members' names, published for government
    procurement."""

    tender_id: int
    lot_number: int
    evaluation_id: int
    report_digest: str
    reported_at: datetime
    ranked: tuple[RankedBid, ...]
    committee_names: tuple[str, ...]
