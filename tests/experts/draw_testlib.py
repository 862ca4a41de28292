"""Builders for the draw tests: an expert who passes every rule, a request that passes every check."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import msgspec

from expert_pool.draw import DrawRequest, Expert, PoolSnapshot

EVALUATION = date(2026, 6, 15)
PURCHASER = "91460100MA5T000001"
BIDDER_A = "91460100MA5T100001"
BIDDER_B = "91460100MA5T100002"
OTHER_ORG = "91460100MA5T900001"
SEED = bytes(range(32))


def expert(expert_id: str, *specialties: str, **changes: object) -> Expert:
    base = Expert(id=expert_id, specialties=frozenset(specialties or ("civil",)), region="460105",
                  qualification_expires=date(2028, 12, 31))
    return msgspec.structs.replace(base, **changes)


def request(**changes: object) -> DrawRequest:
    """A works tender: 4 civil + 2 cost experts and 1 purchaser's representative (7 members)."""
    base = DrawRequest(
        tender_id="460100-2026-GC-0001", lot=1, track="works", method="open",
        seats={"civil": 4, "cost": 2}, purchaser_representatives=1, reserves={"civil": 2, "cost": 1},
        evaluation_date=EVALUATION, purchaser_uscc=PURCHASER, bidder_usccs=frozenset({BIDDER_A, BIDDER_B}),
        allowed_regions=frozenset({"460000"}), sitting_window_days=90, max_draws_per_month=3,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def pool(civil: int = 20, cost: int = 10, both: int = 0) -> PoolSnapshot:
    experts = [expert(f"C{n:03d}", "civil") for n in range(civil)]
    experts += [expert(f"K{n:03d}", "cost") for n in range(cost)]
    experts += [expert(f"B{n:03d}", "civil", "cost") for n in range(both)]
    return PoolSnapshot.of(experts)
