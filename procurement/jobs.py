"""Every time-driven recheck of the platform, registered in one place."""

from __future__ import annotations

from bidding.deadline import BID_TALLY
from bidding.opening import OPENING_CLOSE
from bidding.security import BID_SECURITY_REFUND
from procurement.credit.jobs import CREDIT_EXPIRY
from procurement.identity.jobs import ACCOUNT_UNLOCK
from procurement.scheduler.framework import Registry
from procurement.supervision.jobs import RISK_RECHECK
from procurement.tenders.jobs import TENDER_RECHECK


def build_registry() -> Registry:
    registry = Registry()
    registry.register(ACCOUNT_UNLOCK)
    registry.register(TENDER_RECHECK)
    registry.register(BID_TALLY)
    registry.register(OPENING_CLOSE)
    registry.register(BID_SECURITY_REFUND)
    registry.register(RISK_RECHECK)
    registry.register(CREDIT_EXPIRY)
    return registry
