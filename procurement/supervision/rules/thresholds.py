"""The thresholds that say what counts as "unusual": defaults here, overridden per region and
category by the rows of the ``risk_threshold`` table (docs/supervision.md, "Thresholds")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.supervision.models import RiskThreshold

# (name, region, category) -> value; "" matches any. The most specific match wins.
DEFAULTS: dict[tuple[str, str, str], Decimal] = {
    ("signed_together_seconds", "", ""): Decimal(2),
    ("price_min_bids", "", ""): Decimal(3),
    ("price_gap_tolerance_yuan", "", ""): Decimal("0.01"),
    ("price_spread_ratio", "", ""): Decimal("0.002"),
    ("minimum_deadline_count", "", ""): Decimal(2),
    ("minimum_deadline_months", "", ""): Decimal(12),
    ("minimum_deadline_slack_days", "", ""): Decimal(0),
    # Open tendering thresholds (公开招标数额标准) as local practice sets them: configuration.
    ("split_threshold_yuan", "", ""): Decimal(2_000_000),
    ("split_threshold_yuan", "", "works"): Decimal(4_000_000),
    ("split_min_tenders", "", ""): Decimal(2),
    ("expert_frequency_max_seats", "", ""): Decimal(3),
    ("expert_frequency_window_days", "", ""): Decimal(180),
    ("rotating_winners_window_days", "", ""): Decimal(365),
    ("rotating_winners_min_bidders", "", ""): Decimal(3),
    ("rotating_winners_min_tenders", "", ""): Decimal(3),
    ("rotating_winners_max_share", "", ""): Decimal("0.5"),  # of the group's wins, by its most frequent winner
    ("mall_price_above_reference_ratio", "", ""): Decimal("1.10"),
    ("mall_acceptance_days", "", ""): Decimal(7),
    # 保障中小企业款项支付条例 第八条: pay within 30 days of delivery (acceptance here).
    ("mall_settlement_days", "", ""): Decimal(30),
}


@dataclass
class Thresholds:
    values: dict[tuple[str, str, str], Decimal]

    def get(self, name: str, region: str = "", category: str = "") -> Decimal:
        for key in ((name, region, category), (name, region, ""), (name, "", category), (name, "", "")):
            if key in self.values:
                return self.values[key]
        raise KeyError(name)


async def load_thresholds(session: AsyncSession) -> Thresholds:
    values = dict(DEFAULTS)
    for row in (await session.execute(select(RiskThreshold))).scalars():
        try:
            values[(row.name, row.region, row.category)] = Decimal(row.value)
        except InvalidOperation:
            continue  # a malformed row is ignored, the default stands
    return Thresholds(values)
