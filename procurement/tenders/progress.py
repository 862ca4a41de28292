"""The tender's life as the public reads it: the stages so far, the current one, what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from procurement.clock import as_utc
from procurement.errors import N_
from procurement.tenders.models import Tender, TenderStatus

# The stages of a tender that runs its full course, in order, with the state that reaches each.
_COURSE: tuple[tuple[str, TenderStatus], ...] = (
    (N_("Published; documents on offer"), TenderStatus.published),
    (N_("Bid deadline; bids opened"), TenderStatus.bidding_closed),
    (N_("Evaluation"), TenderStatus.evaluating),
    (N_("Candidates publicised"), TenderStatus.candidates_publicised),
    (N_("Awarded"), TenderStatus.awarded),
    (N_("Contract signed"), TenderStatus.contract_signed),
)
# Every public state in order; "opened" sits on the deadline's stage.
_RANK = {
    state: rank
    for rank, state in enumerate((
        TenderStatus.published, TenderStatus.bidding_closed, TenderStatus.opened, TenderStatus.evaluating,
        TenderStatus.candidates_publicised, TenderStatus.awarded, TenderStatus.contract_signed,
    ))
}
_ENDED = {TenderStatus.failed: N_("Failed"), TenderStatus.terminated: N_("Terminated")}


@dataclass(frozen=True)
class Stage:
    label: str  # message id
    state: str  # done | current | upcoming | ended
    at: datetime | None = None


def stages(tender: Tender) -> list[Stage]:
    """Where the tender is in its course. A failed or terminated tender ends where it stopped."""
    status = TenderStatus(tender.status)
    times = {TenderStatus.published: tender.published_at, TenderStatus.bidding_closed: tender.bid_deadline}
    if status in _ENDED:
        # A terminal state is never left, so the last change is when the tender ended.
        ended_at = as_utc(tender.updated_at)
        passed = [
            (label, state) for label, state in _COURSE[:2]
            if state == TenderStatus.published or ended_at >= as_utc(tender.bid_deadline)
        ]
        return [*(Stage(label, "done", times.get(state)) for label, state in passed), Stage(_ENDED[status], "ended", ended_at)]
    if status not in _RANK:
        return []  # not public yet
    current = max(i for i, (_, state) in enumerate(_COURSE) if _RANK[state] <= _RANK[status])
    return [
        Stage(label, "done" if i < current else "current" if i == current else "upcoming", times.get(state))
        for i, (label, state) in enumerate(_COURSE)
    ]
