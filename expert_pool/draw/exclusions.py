"""Who may not sit, and why: one function per rule, applied in a fixed order.

Each rule takes the candidates (experts with at least one of the requested specialties) and
the request, and lists ``(position, Reason)`` for each candidate it excludes. A candidate is
eligible when no rule lists it; otherwise the draw records every reason that applies, in
``RULES`` order, so the record says all of why, not only the first. Experts with none of the
requested specialties are not candidates and are not listed (a pool of 100,000 would
otherwise bury the exclusions that matter). A rule walks the whole list in one loop rather
than being called once per expert: a draw has some 10,000 candidates, and eleven calls each
cost more than the tests themselves.

Codes are stable (tests, the audit record and the supervisor page key on them); messages are
English message ids the platform translates, with ``detail`` (a USCC, a date) filled in.
The date rules (docs/expert-draw.md §4):

- employment: an employer among the purchaser or the bidders conflicts while employed and for
  three years after the last day [政府采购法实施条例 第九条]: the last day must be on or before
  the evaluation date three years earlier (same month and day) to be out of reach;
- unavailable: any unavailable range touching the evaluation's days;
- qualification: must still be valid on the evaluation's last day;
- recent sitting: a sitting for the same purchaser within ``sitting_window_days`` days before
  the evaluation (a sitting exactly that many days earlier is outside the window).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from expert_pool.draw.request import DrawRequest
from expert_pool.draw.snapshot import Expert, ExpertStatus


@dataclass(frozen=True)
class Reason:
    code: str
    message: str  # English message id with %(detail)s
    detail: str = ""

    @property
    def text(self) -> str:
        return self.message % {"detail": self.detail}

    def encoded(self) -> list[str]:
        return [self.code, self.detail]


def _reason(code: str, message: str) -> Callable[[str], Reason]:
    return lambda detail="": Reason(code, message, detail)


SUSPENDED = _reason("suspended", "The expert is not active (%(detail)s)")
QUALIFICATION_EXPIRED = _reason("qualification_expired", "The expert's qualification is valid only until %(detail)s")
REGION_NOT_ALLOWED = _reason("region_not_allowed", "The expert's region %(detail)s is outside the regions allowed")
EMPLOYER_PURCHASER = _reason("employer_purchaser", "The expert works or worked within 3 years for the purchaser %(detail)s")
EMPLOYER_BIDDER = _reason("employer_bidder", "The expert works or worked within 3 years for the bidder %(detail)s")
SHAREHOLDING_BIDDER = _reason("shareholding_bidder", "The expert holds shares in or directs the bidder %(detail)s")
RELATIVE_BIDDER = _reason("relative_bidder", "A relative of the expert represents or owns the bidder %(detail)s")
UNAVAILABLE = _reason("unavailable", "The expert is unavailable from %(detail)s")
RECENT_SITTING = _reason("recent_sitting", "The expert sat on a tender of the same purchaser on %(detail)s")
MONTHLY_LIMIT = _reason("monthly_draw_limit", "The expert has already been drawn %(detail)s times this month")
PROJECT_SUPERVISOR = _reason("project_supervisor", "The expert works for a body supervising this project")


Excluded = list[tuple[int, Reason]]  # (position in the candidates, why)


def not_active(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    active = ExpertStatus.active
    return [(i, SUSPENDED(e.status.value)) for i, e in enumerate(experts) if e.status is not active]


def qualification_expired(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    end = request.evaluation_end
    return [(i, QUALIFICATION_EXPIRED(e.qualification_expires.isoformat())) for i, e in enumerate(experts)
            if e.qualification_expires is not None and e.qualification_expires < end]


def region_not_allowed(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    prefixes = request.region_prefixes
    if not prefixes:
        return []
    return [(i, REGION_NOT_ALLOWED(e.region)) for i, e in enumerate(experts) if not e.region.startswith(prefixes)]


def _employed_within(experts: Sequence[Expert], usccs: frozenset[str], request: DrawRequest, reason: Callable[[str], Reason]) -> Excluded:
    cutoff = request.employment_cutoff
    found: Excluded = []
    for i, expert in enumerate(experts):
        for job in expert.employers:
            # A job not yet begun still counts: a signed contract is an interest.
            if job.uscc in usccs and (job.end is None or job.end > cutoff):
                found.append((i, reason(job.uscc)))
                break
    return found


def employer_purchaser(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    return _employed_within(experts, frozenset({request.purchaser_uscc}), request, EMPLOYER_PURCHASER)


def employer_bidder(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    return _employed_within(experts, request.bidder_usccs, request, EMPLOYER_BIDDER) if request.bidder_usccs else []


def shareholding_bidder(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    bidders = request.bidder_usccs
    return [(i, SHAREHOLDING_BIDDER(min(e.shareholdings & bidders))) for i, e in enumerate(experts)
            if e.shareholdings and not e.shareholdings.isdisjoint(bidders)]


def relative_bidder(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    bidders = request.bidder_usccs
    return [(i, RELATIVE_BIDDER(min(e.relative_organisations & bidders))) for i, e in enumerate(experts)
            if e.relative_organisations and not e.relative_organisations.isdisjoint(bidders)]


def unavailable(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    start, end = request.evaluation_date, request.evaluation_end
    found: Excluded = []
    for i, expert in enumerate(experts):
        for period in expert.unavailable:
            if period.overlaps(start, end):
                found.append((i, UNAVAILABLE(f"{period.start.isoformat()} to {period.end.isoformat()}")))
                break
    return found


def recent_sitting(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    if not request.sitting_window_days:
        return []
    cutoff, purchaser, evaluation = request.sitting_cutoff, request.purchaser_uscc, request.evaluation_date
    found: Excluded = []
    for i, expert in enumerate(experts):
        for sitting in reversed(expert.sittings):  # sorted by (purchaser, date): the latest first
            if sitting.purchaser_uscc == purchaser and cutoff < sitting.on <= evaluation:
                found.append((i, RECENT_SITTING(sitting.on.isoformat())))
                break
    return found


def monthly_draw_limit(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    limit = request.max_draws_per_month
    if limit is None:
        return []
    return [(i, MONTHLY_LIMIT(str(e.draws_this_month))) for i, e in enumerate(experts) if e.draws_this_month >= limit]


def project_supervisor(experts: Sequence[Expert], request: DrawRequest) -> Excluded:
    # The staff of a body supervising the project may not sit on its committee [招标投标法实施条例
    # 第四十六条]; the platform knows it from the project (the request: experts employed by a body
    # whose supervisors are assigned to it) or from the expert's record (the snapshot).
    supervisors, tender = request.project_supervisor_ids, request.tender_id
    return [(i, PROJECT_SUPERVISOR()) for i, e in enumerate(experts) if e.id in supervisors or tender in e.supervised_tenders]


Rule = Callable[[Sequence[Expert], DrawRequest], Excluded]

# The order is part of the record's format: reasons are listed in it.
RULES: tuple[Rule, ...] = (
    not_active,
    qualification_expired,
    region_not_allowed,
    employer_purchaser,
    employer_bidder,
    shareholding_bidder,
    relative_bidder,
    unavailable,
    recent_sitting,
    monthly_draw_limit,
    project_supervisor,
)


def exclusions(experts: Sequence[Expert], request: DrawRequest) -> dict[int, tuple[Reason, ...]]:
    """Every candidate some rule excludes, by position, with all its reasons in ``RULES`` order."""
    found: dict[int, list[Reason]] = {}
    for rule in RULES:
        for position, reason in rule(experts, request):
            found.setdefault(position, []).append(reason)
    return {position: tuple(reasons) for position, reasons in found.items()}


def reasons_against(expert: Expert, request: DrawRequest) -> tuple[Reason, ...]:
    """Every rule that excludes the expert, in ``RULES`` order; empty when eligible."""
    return exclusions([expert], request).get(0, ())
