"""Who may not sit, and why: one function per rule, applied in a fixed order.

Each rule is ``(expert, request) -> Reason | None``. A candidate (an expert with at least one
of the requested specialties) is eligible when every rule returns None; otherwise the draw
records every reason that applies, in ``RULES`` order, so the record says all of why, not
only the first. Experts with none of the requested specialties are not candidates and are not
listed (a pool of 100,000 would otherwise bury the exclusions that matter).

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

from collections.abc import Callable
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
PROJECT_SUPERVISOR = _reason("project_supervisor", "The expert supervises this project")


def not_active(expert: Expert, request: DrawRequest) -> Reason | None:
    return None if expert.status is ExpertStatus.active else SUSPENDED(expert.status.value)


def qualification_expired(expert: Expert, request: DrawRequest) -> Reason | None:
    expires = expert.qualification_expires
    return QUALIFICATION_EXPIRED(expires.isoformat()) if expires is not None and expires < request.evaluation_end else None


def region_not_allowed(expert: Expert, request: DrawRequest) -> Reason | None:
    prefixes = request.region_prefixes
    if not prefixes or expert.region.startswith(prefixes):
        return None
    return REGION_NOT_ALLOWED(expert.region)


def _employed_within(expert: Expert, uscc_in: Callable[[str], bool], request: DrawRequest) -> str | None:
    cutoff = request.employment_cutoff
    for job in expert.employers:
        # A job not yet begun still counts: a signed contract is an interest.
        if uscc_in(job.uscc) and (job.end is None or job.end > cutoff):
            return job.uscc
    return None


def employer_purchaser(expert: Expert, request: DrawRequest) -> Reason | None:
    if not expert.employers:
        return None
    found = _employed_within(expert, request.purchaser_uscc.__eq__, request)
    return None if found is None else EMPLOYER_PURCHASER(found)


def employer_bidder(expert: Expert, request: DrawRequest) -> Reason | None:
    if not expert.employers or not request.bidder_usccs:
        return None
    found = _employed_within(expert, request.bidder_usccs.__contains__, request)
    return None if found is None else EMPLOYER_BIDDER(found)


def shareholding_bidder(expert: Expert, request: DrawRequest) -> Reason | None:
    common = expert.shareholdings & request.bidder_usccs if expert.shareholdings else None
    return SHAREHOLDING_BIDDER(min(common)) if common else None


def relative_bidder(expert: Expert, request: DrawRequest) -> Reason | None:
    common = expert.relative_organisations & request.bidder_usccs if expert.relative_organisations else None
    return RELATIVE_BIDDER(min(common)) if common else None


def unavailable(expert: Expert, request: DrawRequest) -> Reason | None:
    for period in expert.unavailable:
        if period.overlaps(request.evaluation_date, request.evaluation_end):
            return UNAVAILABLE(f"{period.start.isoformat()} to {period.end.isoformat()}")
    return None


def recent_sitting(expert: Expert, request: DrawRequest) -> Reason | None:
    if not request.sitting_window_days or not expert.sittings:
        return None
    cutoff, purchaser, evaluation = request.sitting_cutoff, request.purchaser_uscc, request.evaluation_date
    for sitting in reversed(expert.sittings):  # sorted by (purchaser, date): the latest first
        if sitting.purchaser_uscc == purchaser and cutoff < sitting.on <= evaluation:
            return RECENT_SITTING(sitting.on.isoformat())
    return None


def monthly_draw_limit(expert: Expert, request: DrawRequest) -> Reason | None:
    limit = request.max_draws_per_month
    return MONTHLY_LIMIT(str(expert.draws_this_month)) if limit is not None and expert.draws_this_month >= limit else None


def project_supervisor(expert: Expert, request: DrawRequest) -> Reason | None:
    # Supervisors may not sit on projects they supervise [DOMAIN.md, Experts]; the platform may
    # know it from the project (the request) or from the expert's record (the snapshot).
    if expert.id in request.project_supervisor_ids or request.tender_id in expert.supervised_tenders:
        return PROJECT_SUPERVISOR()
    return None


Rule = Callable[[Expert, DrawRequest], "Reason | None"]

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


def reasons_against(expert: Expert, request: DrawRequest) -> tuple[Reason, ...]:
    """Every rule that excludes the expert, in ``RULES`` order; empty when eligible."""
    found: tuple[Reason, ...] = ()
    for rule in RULES:  # a plain loop: the quickest way, and it runs for every candidate
        reason = rule(expert, request)
        if reason is not None:
            found += (reason,)
    return found
