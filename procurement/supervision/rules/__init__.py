"""The risk rules: each a small function over the records, returning what it found with its evidence.

A rule only reads (bids, uploads, tallies, tenders, draws, orders); it never decides anything.
What counts as "unusual" is a threshold (``thresholds``). One module per family of records:

- ``bids``: where and when one tender's bids were sent, and what their opening revealed;
- ``purchasers``: one purchaser's tenders over time;
- ``experts``: one purchaser's evaluation committees;
- ``awards``: who won among whom across a region's tenders;
- ``mall``: one mall order at a time (run by the scheduler: ``supervision.mall_checks``).

This package names every rule for supervisors and says which run at which stage of a tender
(``service.check_stage``). Still to come (docs/supervision.md, "Rule slots"): document metadata
(author, creation software: needs the opened files read, not only their digests).
"""

from __future__ import annotations

from procurement.errors import N_
from procurement.supervision.models import RiskThreshold  # the table overriding DEFAULTS, named with them
from procurement.supervision.rules.awards import Meeting, rotating_winners, rotations
from procurement.supervision.rules.bids import identical_documents, price_pattern, same_address, signed_together, split_fingerprint
from procurement.supervision.rules.experts import expert_frequency
from procurement.supervision.rules.findings import Finding
from procurement.supervision.rules.mall import (
    ENDED_ORDER,
    LATE_ACCEPTANCE,
    LATE_SETTLEMENT,
    MALL_RULES,
    OrderDeadline,
    mall_late_acceptance,
    mall_late_settlement,
    mall_price_above_reference,
)
from procurement.supervision.rules.purchasers import minimum_deadline_single_bidder, split_purchases
from procurement.supervision.rules.thresholds import DEFAULTS, Thresholds, load_thresholds

__all__ = [
    "DEFAULTS", "ENDED_ORDER", "LATE_ACCEPTANCE", "LATE_SETTLEMENT", "MALL_RULES", "PURCHASER_RULES", "RULE_LABELS", "TENDER_RULES",
    "Finding", "Meeting", "OrderDeadline", "RiskThreshold", "Thresholds", "expert_frequency", "identical_documents", "load_thresholds",
    "mall_late_acceptance", "mall_late_settlement", "mall_price_above_reference", "minimum_deadline_single_bidder", "price_pattern",
    "rotating_winners", "rotations", "same_address", "signed_together", "split_fingerprint", "split_purchases",
]

# Message ids: each rule's name as supervisors read it.
RULE_LABELS = {
    "same_address": N_("Bids of different bidders sent from one address or one client"),
    "signed_together": N_("Bids of different bidders completed within seconds of each other"),
    "identical_documents": N_("Identical files in the bids of different bidders"),
    "price_pattern": N_("Bid prices in a pattern (fixed gaps or a tiny spread)"),
    "minimum_deadline_single_bidder": N_("Repeated minimum bidding periods with a single bidder"),
    "split_purchases": N_("Purchases of one kind split below the threshold (化整为零)"),
    "expert_frequency": N_("An expert seated unusually often for one purchaser"),
    "rotating_winners": N_("The same bidders meeting repeatedly and taking turns to win"),
    "mall_price_above_reference": N_("A mall order priced above the e-commerce reference"),
    "mall_late_acceptance": N_("A mall order delivered but not accepted in time"),
    "mall_late_settlement": N_("A mall order accepted but not settled in time"),
}

# Which rules run at which stage of a tender (service.check_stage).
TENDER_RULES = {
    "closed": (same_address, signed_together),
    "opened": (identical_documents, price_pattern),
    "awarded": (rotating_winners,),
}
PURCHASER_RULES = {
    "published": (split_purchases,),
    "closed": (minimum_deadline_single_bidder,),
    # The committee is drawn after bidding closed, normally before the opening ends; a draw made
    # later is counted at the purchaser's next tender's check.
    "opened": (expert_frequency,),
}
