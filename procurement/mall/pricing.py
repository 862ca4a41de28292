"""Price control (价格管控): the rules a product's price must pass, written as data.

Two rules decide a price when it is set, in this order:

1. ``ceiling``: a price above the agreement's ceiling (入围限价) is refused outright
   (422 naming ``body.price``);
2. ``reference_ratio``: a price more than ``mall_reference_ratio`` times the average of the
   big e-commerce sites (the latest observation per source) holds the product in
   ``pending_review`` until an operator approves it with a reason or the price comes down.

Two further rules only flag prices for the operators' monitoring page (``monitoring``): a
change above ``mall_price_jump_ratio`` times the previous price, and a price above
``mall_category_median_ratio`` times its category's median.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.errors import N_, InvalidInput
from procurement.mall.models import ProductStatus, ReferencePrice
from procurement.settings import Settings


@dataclass(frozen=True)
class PriceRule:
    code: str
    setting: str  # the setting holding its threshold ("" for a fixed rule)
    message: str  # the message id explaining the rule (pages and errors)
    effect: str  # refuse | review | flag


CEILING = PriceRule("ceiling", "", N_("a price may not exceed the agreed ceiling price (入围限价)"), "refuse")
REFERENCE_RATIO = PriceRule(
    "reference_ratio", "mall_reference_ratio",
    N_("a price more than %(ratio)s times the e-commerce average waits for an operator's review"), "review",
)
PRICE_JUMP = PriceRule("price_jump", "mall_price_jump_ratio", N_("the price rose more than %(ratio)s times at once"), "flag")
CATEGORY_MEDIAN = PriceRule(
    "category_median", "mall_category_median_ratio", N_("the price is more than %(ratio)s times the median of its category"), "flag",
)
RULES = (CEILING, REFERENCE_RATIO, PRICE_JUMP, CATEGORY_MEDIAN)


def threshold(rule: PriceRule, settings: Settings) -> Decimal:
    """The rule's ratio as a Decimal (settings hold floats; money never meets a float)."""
    return Decimal(str(getattr(settings, rule.setting)))


def above(price_fen: int, base_fen: int, ratio: Decimal) -> bool:
    return Decimal(price_fen) > Decimal(base_fen) * ratio


def decide(price_fen: int, ceiling_fen: int, reference_fen: int | None, settings: Settings, *, field: str = "body.price") -> ProductStatus:
    """The status a price earns, or the refusal that names the rule."""
    if price_fen <= 0:
        raise InvalidInput.for_field(field, N_("must be more than zero"))
    if price_fen > ceiling_fen:
        raise InvalidInput.for_field(
            field, N_("%(price)s exceeds the agreed ceiling price (入围限价) %(ceiling)s; rule: ceiling"),
            price=yuan_text(price_fen), ceiling=yuan_text(ceiling_fen),
        )
    if reference_fen is not None and above(price_fen, reference_fen, threshold(REFERENCE_RATIO, settings)):
        return ProductStatus.pending_review
    return ProductStatus.on_sale


def yuan_text(fen: int) -> str:
    return f"¥{Decimal(fen) / 100:,.2f}"


async def reference_average(session: AsyncSession, product_id: int) -> int | None:
    """The average (fen, rounded half up) of the latest observation from each source; None without any."""
    latest = (
        select(ReferencePrice.source, func.max(ReferencePrice.observed_on).label("observed_on"))
        .where(ReferencePrice.product_id == product_id)
        .group_by(ReferencePrice.source)
        .subquery()
    )
    # Two observations of one source on its latest day count once: the newest entry (highest id).
    newest = (
        select(func.max(ReferencePrice.id))
        .join(latest, (latest.c.source == ReferencePrice.source) & (latest.c.observed_on == ReferencePrice.observed_on))
        .where(ReferencePrice.product_id == product_id)
        .group_by(ReferencePrice.source)
    )
    prices = list((await session.execute(select(ReferencePrice.price_fen).where(ReferencePrice.id.in_(newest)))).scalars())
    if not prices:
        return None
    return int((Decimal(sum(prices)) / len(prices)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def median(values: list[int]) -> int:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2
