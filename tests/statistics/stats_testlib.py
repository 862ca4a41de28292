"""Data sets whose totals are known, for the statistics tests.

``seed_2018`` is the seed's year (DOMAIN.md): 288 government procurement projects, ¥40.02亿
traded, ¥1.14亿 saved (amount-weighted rate 2.77 %); 561 works projects, ¥355亿 traded,
¥0.9亿 saved, whose amount-weighted rate is 0.25 % but whose mean of per-project rates is
2.62 % (560 projects at 2.625 % and one very large one at almost nothing). Written in bulk
(``procurement.statistics.bulk``): the aggregation is what is tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from procurement.identity.models import OrganisationKind, Role
from procurement.platform import Platform
from procurement.statistics.bulk import Trade, insert_trades
from tests.conftest import Users

YI_FEN = 100_000_000 * 100  # 1亿元 in fen


@dataclass(frozen=True)
class Seeded:
    purchasers: tuple[int, int]
    reviewer_id: int


async def people(users: Users) -> Seeded:
    first = await users.organisation(OrganisationKind.purchaser, "海口市第一采购单位")
    second = await users.organisation(OrganisationKind.purchaser, "海口市第二采购单位")
    reviewer = await users.make(Role.operator)
    return Seeded((first, second), reviewer.user_id)


async def write(platform: Platform, seeded: Seeded, trades: list[Trade]) -> list[int]:
    async with platform.db.transaction() as session:
        return await insert_trades(session, trades, reviewer_id=seeded.reviewer_id, names={})


def _at(day: int, hour: int = 2) -> datetime:
    """A moment of 2018, ``day`` days after 1 January (02:00 UTC = 10:00 Beijing)."""
    return datetime(2018, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)


def trade(n: int, seeded: Seeded, *, track: str, budget_fen: int, award_fen: int | None, day: int, **extra: object) -> Trade:
    return Trade(
        code=f"460100-2018-T-{n:05d}", title=f"统计测试项目{n}", track=track, category="works" if track == "works" else "goods",
        method="open", region="460106" if n % 2 else "460107", purchaser_id=seeded.purchasers[n % 2], budget_fen=budget_fen,
        published_at=_at(day), award_fen=award_fen, awarded_at=_at(day + 40) if award_fen is not None else None, **extra,  # type: ignore[arg-type]
    )


def seed_2018(seeded: Seeded) -> list[Trade]:
    trades: list[Trade] = []
    # Government procurement: 287 projects of ¥1390万 awarded (¥39.6万 saved) and one of ¥1270万 (¥34.8万 saved).
    for n in range(288):
        award, saved = (1_270_000_000, 34_800_000) if n == 287 else (1_390_000_000, 39_600_000)
        trades.append(trade(n, seeded, track="government", budget_fen=award + saved, award_fen=award, day=n % 300))
    # Works: 560 projects budgeted ¥600万 at 2.625 % (¥15.75万 saved), and one of ¥322.282亿 with ¥180万 saved.
    for n in range(288, 848):
        trades.append(trade(n, seeded, track="works", budget_fen=600_000_000, award_fen=600_000_000 - 15_750_000, day=n % 300))
    big_award = 355 * YI_FEN - 560 * (600_000_000 - 15_750_000)
    trades.append(trade(848, seeded, track="works", budget_fen=big_award + 180_000_000, award_fen=big_award, day=100))
    return trades
