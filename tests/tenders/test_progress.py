"""The public progress of a tender: stages done, the current one, and where an ended tender stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.progress import stages

PUBLISHED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DEADLINE = PUBLISHED + timedelta(days=25)


def _tender(status: TenderStatus, updated_at: datetime = PUBLISHED) -> Tender:
    return Tender(status=status, published_at=PUBLISHED, bid_deadline=DEADLINE, updated_at=updated_at)


def _states(tender: Tender) -> list[tuple[str, str]]:
    return [(s.label, s.state) for s in stages(tender)]


def test_a_tender_before_publication_shows_no_progress() -> None:
    for status in (TenderStatus.draft, TenderStatus.submitted, TenderStatus.accepted):
        assert stages(_tender(status)) == []


def test_each_public_state_is_current_in_its_stage() -> None:
    published = stages(_tender(TenderStatus.published))
    assert [s.state for s in published] == ["current"] + ["upcoming"] * 5
    assert published[0].at == PUBLISHED and published[1].at == DEADLINE
    for status, current in ((TenderStatus.bidding_closed, 1), (TenderStatus.opened, 1), (TenderStatus.evaluating, 2),
                            (TenderStatus.awarded, 4), (TenderStatus.contract_signed, 5)):
        states = [s.state for s in stages(_tender(status))]
        assert states.index("current") == current, status
        assert states[:current] == ["done"] * current


def test_an_ended_tender_stops_where_it_ended() -> None:
    terminated = _states(_tender(TenderStatus.terminated, updated_at=PUBLISHED + timedelta(days=3)))
    assert terminated == [("Published; documents on offer", "done"), ("Terminated", "ended")]
    failed = _states(_tender(TenderStatus.failed, updated_at=DEADLINE + timedelta(minutes=5)))
    assert failed == [("Published; documents on offer", "done"), ("Bid deadline; bids opened", "done"), ("Failed", "ended")]
