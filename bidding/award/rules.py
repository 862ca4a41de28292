"""The legal limits from the evaluation report to the contract, as data with their articles.

Per track, like ``procurement.tenders.rules``, whose ``Limit`` and ``Period`` they reuse (so
operators read them the same way). None where the law sets no such limit for the track.

Works (招标投标法 and its 实施条例): the candidates are publicised within 3 days of the report,
for at least 3 days; an objection during the publicity is answered within 3 days, and the
tendering pauses until it is (条例 第五十四条). Government procurement (政府采购法实施条例
第四十三条): the purchaser decides within 5 working days of the report and the result is
announced within 2 working days, naming the committee; the law sets no candidates' publicity,
so the platform publishes the candidates at once and lets the purchaser decide without
waiting; an objection (质疑) is answered within 7 working days (政府采购法 第五十三条). The
contract follows the award notice within 30 days on both tracks (招标投标法 第四十六条;
政府采购法 第四十六条) and, for government procurement, is published within 2 working days
(政府采购法实施条例 第五十条).

Who may object to the candidates: works, the bidders and other interested parties
(其他利害关系人, 条例 第五十四条); government procurement, the suppliers that took part, which
includes those that obtained the documents (政府采购质疑和投诉办法 第十一条). When the winner
refuses to sign, the purchaser awards the next candidate in ranking order or tenders again
(works 条例 第五十五条; government 政府采购法实施条例 第四十九条); refusing without a due reason
costs the bid security (works 条例 第七十四条: 投标保证金不予退还; government 政府采购法实施条例
第七十二条 makes it a breach, and the procurement documents withhold the security).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from procurement.errors import N_
from procurement.tenders.calendar import (
    HolidayCalendar,
    beijing_date,
    end_of_beijing_day,
)
from procurement.tenders.rules import ZB, ZB_RULES, ZC, ZC_RULES, Limit, Period, Track

MAX_CANDIDATES = 3  # 招标投标法实施条例 第五十三条: no more than three, ranked


@dataclass(frozen=True)
class AwardRules:
    publish_within: Limit  # the candidates (or the result) published within this of the report
    publicity_at_least: Limit | None  # how long the candidates stay publicised before the award
    objection_answer_within: Limit
    decide_within: Limit | None  # the purchaser decides within this of the report
    contract_within: Limit  # the contract signed within this of the award notice
    contract_published_within: Limit | None
    names_committee: bool  # the result notice names the committee's members
    objectors_article: str  # who besides the lot's bidders may object
    others_may_object: bool  # works: any interested party stating its interest; government: only those that obtained the documents
    next_candidate_article: str  # after a refusal: the next candidate in ranking order, or tender again
    forfeit_article: str  # a refusal without a due reason: the bid security is not refunded


WORKS = AwardRules(
    publish_within=Limit(Period(3, "calendar"), ZB_RULES + " 第五十四条", N_("candidates publicised within this of the evaluation report")),
    publicity_at_least=Limit(Period(3, "calendar"), ZB_RULES + " 第五十四条", N_("candidates publicised for at least")),
    objection_answer_within=Limit(Period(3, "calendar"), ZB_RULES + " 第五十四条", N_("an objection to the candidates answered within")),
    decide_within=None,
    contract_within=Limit(Period(30, "calendar"), ZB + " 第四十六条", N_("contract signed within this of the award notice")),
    contract_published_within=None,
    names_committee=False,
    objectors_article=ZB_RULES + " 第五十四条",
    others_may_object=True,
    next_candidate_article=ZB_RULES + " 第五十五条",
    forfeit_article=ZB_RULES + " 第七十四条",
)

GOVERNMENT = AwardRules(
    # 5 working days to decide and 2 to announce: the platform announces at the decision.
    publish_within=Limit(Period(2, "working"), ZC_RULES + " 第四十三条", N_("result announced within this of the purchaser's decision")),
    publicity_at_least=None,
    objection_answer_within=Limit(Period(7, "working"), ZC + " 第五十三条", N_("an objection to the candidates answered within")),
    decide_within=Limit(Period(5, "working"), ZC_RULES + " 第四十三条", N_("the purchaser decides within this of the evaluation report")),
    contract_within=Limit(Period(30, "calendar"), ZC + " 第四十六条", N_("contract signed within this of the award notice")),
    contract_published_within=Limit(Period(2, "working"), ZC_RULES + " 第五十条", N_("contract published within this of its signing")),
    names_committee=True,
    objectors_article="政府采购质疑和投诉办法 第十一条",
    others_may_object=False,
    next_candidate_article=ZC_RULES + " 第四十九条",
    forfeit_article=ZC_RULES + " 第七十二条",
)

RULES: dict[Track, AwardRules] = {Track.works: WORKS, Track.government: GOVERNMENT}


def award_rules(track: str) -> AwardRules:
    return RULES[Track(track)]


def ends(limit: Limit, start: datetime, calendar: HolidayCalendar) -> datetime:
    """When a period counted from ``start`` has run: 24:00 (Beijing) of its last day; the start day is not counted."""
    period = limit.value
    assert isinstance(period, Period)
    return end_of_beijing_day(period.after(beijing_date(start), calendar))
