"""The legal limits of tender publication, as data: one table, read by the checks and by operators.

``RULES`` holds, for each track and method, the limits the law sets and the article that sets
each; ``rules_table`` shows operators the same table the checks enforce. Where the law for a
method sets no such limit, or we could not name the article with confidence, the limit is
None and a comment says which.

How days are counted. Periods run on Beijing dates, and the day a period starts from is not
counted (民法典 第二百零一条). "自招标文件开始发出之日起至提交投标文件截止之日止，最短不得少于二十日":
documents first offered on 1 March, the bid deadline may fall on 21 March at the earliest (any
time that day). A moment at exactly 24:00 (00:00 of the next day) belongs to the day it ends.
Working days (工作日) come from a ``HolidayCalendar``, which is configuration.

Messages are English templates with ``%(name)s`` parameters; they are translated later.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Literal

from procurement.errors import N_
from procurement.tenders.calendar import (
    BEIJING,
    HolidayCalendar,
    add_calendar_days,
    beijing_date,
    beijing_end_date,
)


class Track(StrEnum):
    works = "works"  # 工程建设: 招标投标法 and its 实施条例
    government = "government"  # 政府采购: 政府采购法 and its 实施条例


class Method(StrEnum):
    open = "open"  # 公开招标
    invited = "invited"  # 邀请招标
    negotiation = "negotiation"  # 竞争性谈判
    consultation = "consultation"  # 竞争性磋商
    quotation = "quotation"  # 询价
    single_source = "single_source"  # 单一来源


class Category(StrEnum):
    goods = "goods"  # 货物
    services = "services"  # 服务
    works = "works"  # 工程


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Literal["calendar", "working"]

    def __post_init__(self) -> None:
        if self.amount < 0 or self.unit not in ("calendar", "working"):
            raise ValueError(f"a period is a non-negative number of calendar or working days, not {self!r}")

    def after(self, start: date, calendar: HolidayCalendar | None) -> date:
        """The first date on which the period has run, counted from ``start`` (not itself counted)."""
        if self.unit == "calendar":
            return add_calendar_days(start, self.amount)
        if calendar is None:
            raise ValueError("counting working days needs a holiday calendar")
        return calendar.add_working_days(start, self.amount)

    def text(self) -> str:
        return f"{self.amount} 日" if self.unit == "calendar" else f"{self.amount} 个工作日"


@dataclass(frozen=True)
class Limit:
    value: Period | Decimal | int
    article: str  # where the limit is set, as operators cite it: "招标投标法 第二十四条"
    description: str  # an English message id naming the rule

    def text(self) -> str:
        """The value as operators read it: "20 日", "5 个工作日", "2%", "3 家"."""
        if isinstance(self.value, Period):
            return self.value.text()
        if isinstance(self.value, Decimal):
            return f"{(self.value * 100).normalize():f}%"
        return f"{self.value} 家"


@dataclass(frozen=True)
class TenderRules:
    documents_to_deadline: Limit | None  # documents first offered -> bid (or first response) deadline
    documents_on_offer: Limit | None  # how long the documents must stay on offer
    amendment_before_deadline: Limit | None  # a clarification or amendment this long before the deadline
    security_cap_ratio: Limit  # bid security at most this share of the budget (estimate, for works)
    minimum_bids: Limit  # fewer bids than this and the tender cannot go on
    # Bid security refunds (bidding.security): the period after each event within which the
    # security is due back. None: the law sets no period for that case (the platform then
    # applies its own, see bidding/security.py and docs/bids.md).
    refund_after_withdrawal: Limit | None = None  # a bid withdrawn before the deadline
    refund_after_award: Limit | None = None  # the unsuccessful bidders, after the award notice
    refund_after_contract: Limit | None = None  # after the contract is signed
    refund_after_termination: Limit | None = None  # the tender terminated (终止)


@dataclass(frozen=True)
class Violation:
    """A broken limit. ``article`` is empty for a plain ordering (an end before its start) no article states."""

    field: str
    template: str
    params: dict[str, object]
    article: str

    @property
    def message(self) -> str:
        return self.template % self.params


# --- The table -----------------------------------------------------------------------------------

TO_DEADLINE = "from the documents' first day on offer to the bid deadline, at least"
ON_OFFER = "documents on offer for at least"
AMENDMENT = "clarifications and amendments at least this long before the bid deadline"
SECURITY = "bid security at most this share of the budget"
MINIMUM_BIDS = "bids needed for the tender to go on, at least"
REFUND_WITHDRAWAL = "bid security refunded after a bid is withdrawn before the deadline, within"
REFUND_AWARD = "bid security refunded to the unsuccessful bidders after the award notice, within"
REFUND_CONTRACT = "bid security refunded after the contract is signed, within"
REFUND_TERMINATION = "bid security refunded after the tender is terminated, within"
GOODS_SERVICES_TENDERING = "政府采购货物和服务招标投标管理办法"  # 财政部令第87号 (2017)

ZB = "招标投标法"
ZB_RULES = "招标投标法实施条例"
ZC = "政府采购法"
ZC_RULES = "政府采购法实施条例"
NON_TENDER = "政府采购非招标采购方式管理办法"  # 财政部令第74号 (2013)
CONSULTATION = "政府采购竞争性磋商采购方式管理暂行办法"  # 财库〔2014〕214号


def _days(n: int) -> Period:
    return Period(n, "calendar")


def _working_days(n: int) -> Period:
    return Period(n, "working")


TWO_PERCENT = Decimal("0.02")

# The 20 days bind "依法必须进行招标的项目"; the platform holds every works tender to them.
# Not modelled: the 800,000 yuan ceiling on security for construction (a departmental rule).
WORKS_TENDERING = TenderRules(
    documents_to_deadline=Limit(_days(20), ZB + " 第二十四条", TO_DEADLINE),
    documents_on_offer=Limit(_days(5), ZB_RULES + " 第十六条", ON_OFFER),
    amendment_before_deadline=Limit(_days(15), ZB + " 第二十三条；" + ZB_RULES + " 第二十一条", AMENDMENT),
    security_cap_ratio=Limit(TWO_PERCENT, ZB_RULES + " 第二十六条", SECURITY),
    minimum_bids=Limit(3, ZB + " 第二十八条；" + ZB_RULES + " 第四十四条", MINIMUM_BIDS),
    refund_after_withdrawal=Limit(_days(5), ZB_RULES + " 第三十五条", REFUND_WITHDRAWAL),
    # 第五十七条: the winner and the unsuccessful bidders alike are refunded after the contract
    # (with the bank's interest for the period), not after the award notice.
    refund_after_contract=Limit(_days(5), ZB_RULES + " 第五十七条", REFUND_CONTRACT),
    # 第三十一条 says "及时退还" (promptly, with interest) and no number of days: the platform
    # holds the tenderer to the 5 days of a withdrawal. The article is still the one to cite.
    refund_after_termination=Limit(_days(5), ZB_RULES + " 第三十一条", REFUND_TERMINATION),
)

# 政府采购法 第三十五条 binds goods and services; works tendered go by the works track (第四条).
GOVERNMENT_TENDERING = TenderRules(
    documents_to_deadline=Limit(_days(20), ZC + " 第三十五条", TO_DEADLINE),
    documents_on_offer=Limit(_working_days(5), ZC_RULES + " 第三十一条", ON_OFFER),
    amendment_before_deadline=Limit(_days(15), ZC_RULES + " 第三十一条", AMENDMENT),
    security_cap_ratio=Limit(TWO_PERCENT, ZC_RULES + " 第三十三条", SECURITY),
    minimum_bids=Limit(3, ZC + " 第三十六条", MINIMUM_BIDS),
    # 87号令 第三十八条: from the written notice of withdrawal; we count from the withdrawal's record.
    refund_after_withdrawal=Limit(_working_days(5), GOODS_SERVICES_TENDERING + " 第三十八条", REFUND_WITHDRAWAL),
    refund_after_award=Limit(_working_days(5), ZC_RULES + " 第三十三条", REFUND_AWARD),
    refund_after_contract=Limit(_working_days(5), ZC_RULES + " 第三十三条", REFUND_CONTRACT),
    # We believe the termination refund is 87号令 第二十九条 but could not confirm the number.
    refund_after_termination=Limit(_working_days(5), GOODS_SERVICES_TENDERING, REFUND_TERMINATION),
)

# The 2% cap on security for every non-tender method (谈判, 询价, 单一来源) is in the 办法's general part.
NON_TENDER_SECURITY = Limit(TWO_PERCENT, NON_TENDER + " 第十四条", SECURITY)

RULES: dict[tuple[Track, Method], TenderRules] = {
    (Track.works, Method.open): WORKS_TENDERING,
    (Track.works, Method.invited): WORKS_TENDERING,
    (Track.government, Method.open): GOVERNMENT_TENDERING,
    (Track.government, Method.invited): GOVERNMENT_TENDERING,
    # "Deadline" here is the first responses' (首次响应文件). The 办法 sets no period of offer.
    # Fewer than 3 suppliers ends the negotiation (the 办法's termination article, which we
    # have not checked, allows 2 after a failed open tender with approval): not modelled.
    (Track.government, Method.negotiation): TenderRules(
        documents_to_deadline=Limit(_working_days(3), NON_TENDER + " 第二十九条", TO_DEADLINE),
        documents_on_offer=None,
        amendment_before_deadline=Limit(_working_days(3), NON_TENDER + " 第二十九条", AMENDMENT),
        security_cap_ratio=NON_TENDER_SECURITY,
        minimum_bids=Limit(3, ZC + " 第三十八条", MINIMUM_BIDS),
    ),
    # The security cap (2%) is in the 磋商办法 too, but we could not confirm its article number
    # (we believe 第十二条), so the row names the instrument only. Two suppliers are allowed for
    # some research projects (财库〔2015〕124号): not modelled.
    (Track.government, Method.consultation): TenderRules(
        documents_to_deadline=Limit(_days(10), CONSULTATION + " 第十条", TO_DEADLINE),
        documents_on_offer=Limit(_working_days(5), CONSULTATION + " 第十条", ON_OFFER),
        amendment_before_deadline=Limit(_days(5), CONSULTATION + " 第十条", AMENDMENT),
        security_cap_ratio=Limit(TWO_PERCENT, CONSULTATION, SECURITY),
        minimum_bids=Limit(3, CONSULTATION + " 第六条", MINIMUM_BIDS),
    ),
    (Track.government, Method.quotation): TenderRules(
        documents_to_deadline=Limit(_working_days(3), NON_TENDER + " 第四十五条", TO_DEADLINE),
        documents_on_offer=None,
        amendment_before_deadline=Limit(_working_days(3), NON_TENDER + " 第四十五条", AMENDMENT),
        security_cap_ratio=NON_TENDER_SECURITY,
        minimum_bids=Limit(3, ZC + " 第四十条", MINIMUM_BIDS),
    ),
    # One supplier by definition; the law sets no response period and no amendment notice.
    # (The 5 working days' publicity before the method is approved, 政采条例 第三十八条, comes
    # before publication and is not a limit here.)
    (Track.government, Method.single_source): TenderRules(
        documents_to_deadline=None,
        documents_on_offer=None,
        amendment_before_deadline=None,
        security_cap_ratio=NON_TENDER_SECURITY,
        minimum_bids=Limit(1, ZC + " 第三十一条", MINIMUM_BIDS),
    ),
}

# What a government method may buy (the works track covers works and their goods and services,
# 招标投标法 第三条). Works tendered go by the works track (政府采购法 第四条); quotation is
# for goods only (政府采购法 第三十二条).
GOVERNMENT_CATEGORIES: dict[Method, frozenset[Category]] = {
    Method.open: frozenset({Category.goods, Category.services}),
    Method.invited: frozenset({Category.goods, Category.services}),
    Method.quotation: frozenset({Category.goods}),
}


class NoProcedure(ValueError):
    """No procedure in law for this track, method and category; ``template`` and ``params`` for translation."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params)
        self.template = template
        self.params = params


def rules_for(track: str, method: str, *, category: str | None = None) -> TenderRules:
    """The limits for a track and method (and, if given, what is bought); ValueError if the law has no such procedure.

    The works track is 招标投标法's: it knows only open and invited tendering. A works project
    bought without tendering is government procurement (政府采购法实施条例 第二十五条).
    """
    key = (Track(track), Method(method))
    if key not in RULES:
        raise NoProcedure(
            "the %(track)s track has no %(method)s procedure: works tendering knows only open and invited "
            "tendering; works bought without tendering go by the government track",
            track=key[0].value, method=key[1].value,
        )
    allowed = GOVERNMENT_CATEGORIES.get(key[1], frozenset(Category)) if key[0] == Track.government else frozenset(Category)
    if category is not None and Category(category) not in allowed:
        raise NoProcedure(
            "government %(method)s procurement does not buy %(category)s: works tendered go by the works track, "
            "and quotation buys goods only",
            method=key[1].value, category=Category(category).value,
        )
    return RULES[key]


def rules_table() -> list[dict[str, str]]:
    """One row per limit per track and method, for the operators' page."""
    rows = []
    for (track, method), rules in RULES.items():
        for f in fields(rules):
            limit = getattr(rules, f.name)
            if limit is not None:
                rows.append(
                    {"track": track.value, "method": method.value, "rule": limit.description, "value": limit.text(),
                     "article": limit.article}
                )
    return rows


# --- Checks --------------------------------------------------------------------------------------

TIMELINE = "body.timeline."
# One template per unit: a translator sees whole sentences, never "days" glued in.
TO_DEADLINE_TEMPLATES = {
    "calendar": N_(
        "the bid deadline must be at least %(n)s days after the documents' first day on offer (%(start)s): "
        "on %(earliest)s or later"
    ),
    "working": N_(
        "the bid deadline must be at least %(n)s working days after the documents' first day on offer "
        "(%(start)s): on %(earliest)s or later"
    ),
}
ON_OFFER_TEMPLATES = {
    "calendar": N_("documents must be on offer for at least %(n)s days from %(start)s: until %(earliest)s or later"),
    "working": N_("documents must be on offer for at least %(n)s working days from %(start)s: until %(earliest)s or later"),
}


def _shown(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _too_short(limit: Limit | None, calendar: HolidayCalendar, start: date, end: date, field: str,
               templates: dict[str, str]) -> list[Violation]:
    """A violation if ``end`` comes before ``limit``'s period has run from ``start``."""
    if limit is None:
        return []
    period = limit.value
    assert isinstance(period, Period)
    earliest = period.after(start, calendar)
    if end >= earliest:
        return []
    params: dict[str, object] = {"n": period.amount, "start": start.isoformat(), "earliest": earliest.isoformat()}
    return [Violation(field, templates[period.unit], params, limit.article)]


def check_timeline(rules: TenderRules, calendar: HolidayCalendar, *, documents_from: datetime,
                   documents_until: datetime, bid_deadline: datetime, published_at: datetime) -> list[Violation]:
    """What is wrong with a tender's published timeline; empty when nothing is."""
    problems: list[Violation] = []
    if documents_from < published_at:
        problems.append(Violation(
            TIMELINE + "documents_from", "documents cannot be on offer before the notice is published (%(published_at)s)",
            {"published_at": _shown(published_at)}, "",
        ))
    first_day = beijing_date(documents_from)
    problems += _too_short(rules.documents_to_deadline, calendar, first_day, beijing_end_date(bid_deadline),
                           TIMELINE + "bid_deadline", TO_DEADLINE_TEMPLATES)
    if documents_until <= documents_from:
        problems.append(Violation(
            TIMELINE + "documents_until", "documents must be on offer until after they are first offered (%(documents_from)s)",
            {"documents_from": _shown(documents_from)}, "",
        ))
    else:
        problems += _too_short(rules.documents_on_offer, calendar, first_day, beijing_end_date(documents_until),
                               TIMELINE + "documents_until", ON_OFFER_TEMPLATES)
    if documents_until > bid_deadline:
        problems.append(Violation(
            TIMELINE + "documents_until", "documents cannot be on offer after the bid deadline (%(bid_deadline)s)",
            {"bid_deadline": _shown(bid_deadline)}, "",
        ))
    return problems


def check_security(rules: TenderRules, *, budget: Decimal, security: Decimal, field: str) -> list[Violation]:
    """The bid security against its cap (a share of the lot's budget); ``field`` names the lot's security."""
    limit = rules.security_cap_ratio
    if security < 0:
        return [Violation(field, "bid security cannot be negative", {}, limit.article)]
    assert isinstance(limit.value, Decimal)
    cap = budget * limit.value
    if security <= cap:
        return []
    # Shown rounded down to the fen, so the cap shown is never above the real one.
    params: dict[str, object] = {
        "security": security, "ratio": limit.text(), "budget": budget, "cap": cap.quantize(Decimal("0.01"), ROUND_DOWN),
    }
    return [Violation(field, "bid security %(security)s is more than %(ratio)s of the budget %(budget)s: at most %(cap)s",
                      params, limit.article)]


def moved_deadline_for_amendment(rules: TenderRules, *, amended_at: datetime, bid_deadline: datetime,
                                 calendar: HolidayCalendar | None = None) -> datetime:
    """The bid deadline after a clarification or amendment at ``amended_at``.

    If less than the required period is left (Beijing dates, the amendment's day not counted),
    the deadline moves to the first day on which it has run, at the same time of day; else it
    stays. ``calendar`` is needed only where the period is in working days.
    """
    limit = rules.amendment_before_deadline
    if limit is None:
        return bid_deadline
    assert isinstance(limit.value, Period)
    earliest = limit.value.after(beijing_date(amended_at), calendar)
    short = (earliest - beijing_end_date(bid_deadline)).days
    if short <= 0:
        return bid_deadline
    # Whole days on the Beijing wall clock keep the time of day (Beijing has no daylight saving anyway).
    return (bid_deadline.astimezone(BEIJING) + timedelta(days=short)).astimezone(bid_deadline.tzinfo)


def enough_bids(rules: TenderRules, count: int) -> bool:
    """Whether ``count`` bids let the tender go on to opening and evaluation."""
    minimum = rules.minimum_bids.value
    assert isinstance(minimum, int)
    return count >= minimum
