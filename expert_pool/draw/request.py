"""A draw request and the committee rules it must meet before any expert is drawn.

One request draws one committee (评标委员会 / 谈判小组 / 磋商小组 / 询价小组) for a tender or one
of its lots. The committee is the drawn experts plus the purchaser's representatives; the law
fixes its size and the experts' share by track and method (the table in ``COMMITTEE_RULES``,
each rule with its article). ``check()`` refuses a request that breaks one, naming the rule,
the field and the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property

from expert_pool.draw.encoding import canonical_json, sha256_hex
from expert_pool.draw.errors import InvalidDrawRequest

REQUEST_LABEL = "expert-draw-request/v1"

# Conflicts of interest through employment reach back three years [政府采购法实施条例 第九条].
EMPLOYMENT_LOOKBACK_YEARS = 3


class Track(StrEnum):  # the same values as procurement.tenders.rules.Track (this library imports nothing of ours)
    works = "works"
    government = "government"


class Method(StrEnum):  # the same values as procurement.tenders.rules.Method
    open = "open"
    invited = "invited"
    negotiation = "negotiation"
    consultation = "consultation"
    quotation = "quotation"
    single_source = "single_source"


@dataclass(frozen=True)
class CommitteeRule:
    minimum: int
    article: str
    body: str  # what the committee is called, for messages: "evaluation committee", "negotiation panel"


_WORKS = CommitteeRule(5, "招标投标法 第三十七条", "evaluation committee")
COMMITTEE_RULES: dict[tuple[Track, Method], CommitteeRule] = {
    # 评标委员会: 五人以上单数, 技术、经济等方面的专家不得少于成员总数的三分之二 [招标投标法 第三十七条].
    (Track.works, Method.open): _WORKS,
    (Track.works, Method.invited): _WORKS,
    # Government tenders: the same shape [政府采购货物和服务招标投标管理办法（财政部令第87号）第四十七条];
    # DOMAIN.md cites no article for this row, this is the Ministry of Finance order that sets it.
    (Track.government, Method.open): CommitteeRule(5, "政府采购货物和服务招标投标管理办法 第四十七条", "evaluation committee"),
    (Track.government, Method.invited): CommitteeRule(5, "政府采购货物和服务招标投标管理办法 第四十七条", "evaluation committee"),
    # 谈判小组 / 询价小组: 三人以上的单数, 专家不得少于成员总数的三分之二 [政府采购法 第三十八条, 第四十条;
    # 政府采购非招标采购方式管理办法 第七条].
    (Track.government, Method.negotiation): CommitteeRule(3, "政府采购法 第三十八条", "negotiation panel"),
    (Track.government, Method.quotation): CommitteeRule(3, "政府采购法 第四十条", "quotation panel"),
    # 磋商小组: the same [政府采购竞争性磋商采购方式管理暂行办法 第十四条].
    (Track.government, Method.consultation): CommitteeRule(3, "政府采购竞争性磋商采购方式管理暂行办法 第十四条", "consultation panel"),
}

_SPECIALTY = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
_REGION = re.compile(r"^\d{6}$")


def _invalid(rule: str, field: str, template: str, article: str = "", **params: object) -> InvalidDrawRequest:
    return InvalidDrawRequest(rule, template, field=field, article=article, **params)


def _pairs(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), v) for k, v in items))


def years_before(day: date, years: int) -> date:
    """The same calendar date ``years`` earlier; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class DrawRequest:
    tender_id: str
    lot: int | None  # the lot number, None for a tender without lots
    track: Track | str
    method: Method | str
    seats: tuple[tuple[str, int], ...] | Mapping[str, int]  # specialty code -> experts to seat
    evaluation_date: date  # the first day of the evaluation
    purchaser_uscc: str
    bidder_usccs: frozenset[str] = frozenset()
    purchaser_representatives: int = 0
    reserves: tuple[tuple[str, int], ...] | Mapping[str, int] = ()  # specialty code -> reserves (备选) to draw
    allowed_regions: frozenset[str] = frozenset()  # division codes; empty: anywhere (docs/expert-draw.md §4)
    evaluation_days: int = 1
    project_supervisor_ids: frozenset[str] = frozenset()  # experts who supervise this project
    sitting_window_days: int = 0  # no second sitting for the same purchaser within this many days; 0: off
    max_draws_per_month: int | None = None  # an expert already drawn this many times this month is skipped
    minimum_members: int | None = None  # a stricter local minimum (e.g. 7 for a large budget); None: the law's

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "seats", _pairs(self.seats))
        set_(self, "reserves", _pairs(self.reserves))
        for name in ("bidder_usccs", "allowed_regions", "project_supervisor_ids"):
            set_(self, name, frozenset(getattr(self, name)))
        set_(self, "tender_id", str(self.tender_id))

    # -- derived values the exclusion rules read (computed once per request, not per expert)

    @cached_property
    def seats_by_specialty(self) -> dict[str, int]:
        return dict(self.seats)  # type: ignore[arg-type]

    @cached_property
    def reserves_by_specialty(self) -> dict[str, int]:
        return dict(self.reserves)  # type: ignore[arg-type]

    @cached_property
    def specialties(self) -> tuple[str, ...]:
        return tuple(s for s, _ in self.seats)  # type: ignore[misc]

    @cached_property
    def evaluation_end(self) -> date:
        return self.evaluation_date + timedelta(days=self.evaluation_days - 1)

    @cached_property
    def employment_cutoff(self) -> date:
        """Employment that ended on or before this day is out of the three-year reach."""
        return years_before(self.evaluation_date, EMPLOYMENT_LOOKBACK_YEARS)

    @cached_property
    def sitting_cutoff(self) -> date:
        """A sitting for the same purchaser after this day (and not after the evaluation) is too recent."""
        return self.evaluation_date - timedelta(days=self.sitting_window_days)

    @cached_property
    def region_prefixes(self) -> tuple[str, ...]:
        # 460000 (a province) covers 46xxxx, 460100 (a city) covers 4601xx, 460105 only itself.
        return tuple(sorted({_prefix(code) for code in self.allowed_regions}))

    @property
    def experts_count(self) -> int:
        return sum(n for _, n in self.seats)  # type: ignore[misc]

    @property
    def members(self) -> int:
        return self.experts_count + self.purchaser_representatives

    # -- the rules

    def check(self) -> DrawRequest:
        """Refuses a request that breaks a committee rule or a limit; returns the request when it holds."""
        try:
            track = Track(self.track)
        except ValueError:
            raise _invalid("track", "track", "Unknown track %(track)r", track=str(self.track)) from None
        try:
            method = Method(self.method)
        except ValueError:
            raise _invalid("method", "method", "Unknown procurement method %(method)r", method=str(self.method)) from None
        if method is Method.single_source:
            raise _invalid("committee.single_source", "method",
                           "Single-source procurement has no evaluation panel to draw: the purchaser negotiates "
                           "with the one supplier", article="政府采购法 第三十九条")
        rule = COMMITTEE_RULES.get((track, method))
        if rule is None:
            raise _invalid("method", "method", "Method %(method)s is not used on the %(track)s track",
                           method=method.value, track=track.value)
        if not self.tender_id:
            raise _invalid("tender_id", "tender_id", "A draw names its tender")
        if self.lot is not None and self.lot < 1:
            raise _invalid("lot", "lot", "A lot number is at least 1")
        if not self.purchaser_uscc:
            raise _invalid("purchaser_uscc", "purchaser_uscc", "A draw names the purchaser")
        if not self.seats:
            raise _invalid("seats", "seats", "A draw asks for at least one specialty")
        for specialty, count in self.seats:  # type: ignore[misc]
            if not _SPECIALTY.match(specialty):
                raise _invalid("specialty_code", f"seats.{specialty}",
                               "A specialty code is 1 to 32 letters, digits, dots, dashes or underscores")
            if not isinstance(count, int) or count < 1:
                raise _invalid("seats.minimum", f"seats.{specialty}", "A specialty asked for has at least one seat")
        for specialty, count in self.reserves:  # type: ignore[misc]
            if specialty not in self.seats_by_specialty:
                raise _invalid("reserves.specialty", f"reserves.{specialty}",
                               "Reserves are drawn only for a specialty that has seats")
            if not isinstance(count, int) or count < 0:
                raise _invalid("reserves.minimum", f"reserves.{specialty}", "A reserve count is zero or more")
        if self.purchaser_representatives < 0:
            raise _invalid("purchaser_representatives", "purchaser_representatives",
                           "The number of purchaser's representatives is zero or more")
        members, experts = self.members, self.experts_count
        params = {"body": rule.body, "members": members, "experts": experts}
        if members < rule.minimum:
            raise _invalid("committee.minimum_size", "seats", "The committee has at least %(minimum)s members; "
                           "this one would have %(members)s", article=rule.article, minimum=rule.minimum, **params)
        if members % 2 == 0:
            raise _invalid("committee.odd", "seats", "The committee has an odd number of members; "
                           "this one would have %(members)s", article=rule.article, **params)
        if 3 * experts < 2 * members:
            raise _invalid("committee.expert_share", "purchaser_representatives",
                           "Experts are at least two thirds of the committee; %(experts)s of %(members)s is less",
                           article=rule.article, **params)
        if self.minimum_members is not None and members < self.minimum_members:
            raise _invalid("committee.local_minimum", "minimum_members", "This committee must have at least "
                           "%(minimum)s members; it would have %(members)s", minimum=self.minimum_members, **params)
        if self.evaluation_days < 1:
            raise _invalid("evaluation_days", "evaluation_days", "An evaluation lasts at least one day")
        for code in self.allowed_regions:
            if not _REGION.match(code):
                raise _invalid("region_code", "allowed_regions",
                               "A region is a 6-digit administrative division code, not %(code)r", code=code)
        if self.sitting_window_days < 0:
            raise _invalid("sitting_window_days", "sitting_window_days", "The sitting window is zero days or more")
        if self.max_draws_per_month is not None and self.max_draws_per_month < 1:
            raise _invalid("max_draws_per_month", "max_draws_per_month", "The monthly draw limit is at least 1")
        return self

    # -- canonical form

    def encoded(self) -> dict[str, object]:
        """The request's canonical object (docs/expert-draw.md §3); keys are sorted on encoding."""
        return {
            "label": REQUEST_LABEL,
            "tender_id": self.tender_id,
            "lot": self.lot,
            "track": str(self.track),
            "method": str(self.method),
            "seats": [[s, n] for s, n in self.seats],  # type: ignore[misc]
            "reserves": [[s, n] for s, n in self.reserves],  # type: ignore[misc]
            "purchaser_representatives": self.purchaser_representatives,
            "evaluation_date": self.evaluation_date.isoformat(),
            "evaluation_days": self.evaluation_days,
            "purchaser_uscc": self.purchaser_uscc,
            "bidder_usccs": sorted(self.bidder_usccs),
            "allowed_regions": sorted(self.allowed_regions),
            "project_supervisor_ids": sorted(self.project_supervisor_ids),
            "sitting_window_days": self.sitting_window_days,
            "max_draws_per_month": self.max_draws_per_month,
            "minimum_members": self.minimum_members,
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.encoded())

    @cached_property
    def digest(self) -> str:
        return sha256_hex(self.canonical_bytes())


def _prefix(code: str) -> str:
    """The leading digits a division code covers: 460000 → "46", 460100 → "4601", 460105 → "460105"."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code
