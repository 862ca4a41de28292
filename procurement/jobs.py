"""Every time-driven recheck of the platform, registered in one place."""

from __future__ import annotations

from bidding.award.contract import AWARD_RECHECK
from bidding.deadline import BID_TALLY
from bidding.opening import OPENING_CLOSE
from bidding.security import BID_SECURITY_REFUND
from expert_pool.jobs import INVITATION_ANSWER
from procurement.credit.jobs import CREDIT_EXPIRY
from procurement.identity.jobs import ACCOUNT_UNLOCK
from procurement.mall.jobs import MALL_SANCTION_EXPIRY
from procurement.mall.order_jobs import (
    MALL_COMPETITION_CLOSE,
    MALL_ORDER_CONFIRMATION,
    MALL_RETURN_ANSWER,
)
from procurement.outbox.jobs import OUTBOX_DELIVERY
from procurement.scheduler.framework import Registry
from procurement.supervision.jobs import MALL_RISK_RECHECK, RISK_RECHECK
from procurement.tenders.jobs import TENDER_RECHECK


def build_registry() -> Registry:
    registry = Registry()
    registry.register(ACCOUNT_UNLOCK)
    registry.register(TENDER_RECHECK)
    registry.register(BID_TALLY)
    registry.register(OPENING_CLOSE)
    registry.register(BID_SECURITY_REFUND)
    registry.register(AWARD_RECHECK)
    registry.register(RISK_RECHECK)
    registry.register(MALL_RISK_RECHECK)
    registry.register(CREDIT_EXPIRY)
    registry.register(MALL_SANCTION_EXPIRY)
    registry.register(MALL_ORDER_CONFIRMATION)
    registry.register(MALL_COMPETITION_CLOSE)
    registry.register(MALL_RETURN_ANSWER)
    registry.register(INVITATION_ANSWER)
    registry.register(OUTBOX_DELIVERY)
    return registry
