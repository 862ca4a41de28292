"""Mall-only categories (集中采购目录及限额标准): what a purchasing unit buys in the mall, not by tender.

A government goods or services tender may name the mall catalogue category it buys. The
purchasing unit's region rules (``procurement.mall.budgets.rules_for``: configuration, not law)
list the categories that must be bought through the online mall (电子卖场) and the tender
threshold below which they are; a category counts as listed when it or any ancestor is.

Where it is checked, and why (docs/tenders.md, "Mall-only categories"):
- on every draft save, so the form says so next to the field before any more work goes into the
  tender (an unknown code, or a category on a works tender, is refused there and only there);
- again at submission for entry review, the binding check: the rules are configuration and the
  unit's region can change after the draft was saved, and submission is where the trading
  centre is asked to run a tender. Only drafts can be edited, so what the centre accepted is
  what was checked; publication (possibly by the scheduler, with nobody to tell) does not look again.

The whole tender's budget is compared, never a lot's: cutting a purchase into lots does not
lift it over the threshold, and cutting it into tenders below the threshold is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.errors import N_, FieldError, InvalidInput
from procurement.identity.models import Organisation
from procurement.mall import agreements, budgets
from procurement.settings import Settings
from procurement.tenders import rules
from procurement.tenders.money import FEN_PER_YUAN

MALL_PAGE = "/mall"


@dataclass(frozen=True)
class Standing:
    """A tender's catalogue category against its purchasing unit's rules, as the entry reviewer sees it."""

    code: str
    name: str
    region: str
    listed: str | None  # the code on the region's mall list covering it, None when not mall-only
    tender_threshold_fen: int


def names_category(track: str, category: str) -> bool:
    """Only government purchases of goods or services come from the centralised catalogue the mall sells."""
    return track == rules.Track.government and category in (rules.Category.goods, rules.Category.services)


async def _region(session: AsyncSession, purchaser_organisation_id: int) -> str:
    region = (await session.execute(select(Organisation.region).where(Organisation.id == purchaser_organisation_id))).scalar_one()
    return str(region)


async def standing(session: AsyncSession, settings: Settings, *, code: str, purchaser_organisation_id: int) -> Standing | None:
    """Where the category stands for the unit's region; None when no category has this code."""
    purchase_rules = budgets.rules_for(settings, await _region(session, purchaser_organisation_id))
    listing = await budgets.mall_listing(session, purchase_rules, code)
    if listing is None:
        return None
    return Standing(code, listing.category.name, purchase_rules.region, listing.listed, purchase_rules.tender_threshold_fen)


async def check(
    session: AsyncSession, settings: Settings, *, track: str, category: str, code: str | None, budget_fen: int, purchaser_organisation_id: int,
) -> None:
    """Refuse a tender for a mall-only category below the tender threshold, naming the rule and the fields."""
    if code is None:
        return
    if not names_category(track, category):
        raise InvalidInput.for_field("body.mall_category", N_("only a government purchase of goods or services names a mall catalogue category"))
    found = await standing(session, settings, code=code, purchaser_organisation_id=purchaser_organisation_id)
    if found is None:
        raise InvalidInput.for_field("body.mall_category", N_("there is no mall catalogue category %(code)s"), code=code)
    if found.listed is None or budget_fen >= found.tender_threshold_fen:
        return
    params = (
        ("category", f"{found.code} {found.name}"), ("listed", found.listed), ("region", found.region),
        ("limit", f"{found.tender_threshold_fen / FEN_PER_YUAN:.2f}"), ("mall", MALL_PAGE),
    )
    raise InvalidInput.for_errors([
        FieldError(
            "body.mall_category",
            N_("%(category)s is on the mall list of region %(region)s (%(listed)s): below %(limit)s yuan it is bought in the "
               "online mall (电子卖场, %(mall)s), not by a separate tender"),
            params,
        ),
        FieldError("body.budget", N_("is below %(limit)s yuan, from which region %(region)s may tender %(category)s: buy it in the mall (%(mall)s)"), params),
    ])


async def category_options(session: AsyncSession) -> list[tuple[str, str]]:
    """The catalogue as (code, label) for the draft form, a child indented under its parent."""
    return [
        (node.code, "\u3000" * (len(agreements.path_ids(node)) - 1) + f"{node.code} {node.name}")
        for node in await agreements.categories(session)
    ]


async def category_labels(session: AsyncSession) -> dict[str, str]:
    """Each catalogue code's label ("A020101 台式计算机"), for pages listing several tenders: one query."""
    return {node.code: f"{node.code} {node.name}" for node in await agreements.categories(session)}
