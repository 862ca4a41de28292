"""Answering invitations, checking in, and the committee as it stands.

An invited expert accepts or declines (with a reason) through the one-time link (no login:
the token is the proof, spent by the answer) or through their own page or the API. A
decline, no answer by ``answer_by`` (the scheduler's ``expire``), withdrawing after accepting,
or a conflict declared at check-in each give the seat up, and ``draws.supplement`` draws the
replacement and invites them. Check-in is open on the evaluation days only (Beijing dates).

Only the invited expert acts on an invitation; another user's invitation is not found. Every
audit entry names the expert, so each is held under the draw's embargo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import draws, service
from expert_pool.draw_models import ExpertDraw
from expert_pool.invitation_models import ExpertInvitation, InvitationStatus
from expert_pool.invitation_notices import embargo_key, token_hash
from expert_pool.models import Expert
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import to_display
from procurement.errors import N_, Conflict, InvalidInput, NotFound
from procurement.platform import Platform
from procurement.tenders.models import Tender


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=500, description="why the expert cannot sit")


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    conflict: bool = Field(description="whether any conflict of interest (回避) applies")
    detail: str = Field(default="", max_length=1000, description="the conflict, when there is one")


class InvitationOut(BaseModel):
    """An invitation as the invited expert sees it."""

    id: int
    tender_id: int
    tender_code: str
    tender_title: str
    lot: int | None
    specialty: str
    status: InvitationStatus
    evaluation_date: date
    evaluation_last_day: date
    answer_by: datetime
    answered_at: datetime | None
    reason: str
    checked_in_at: datetime | None
    conflict_detail: str
    can_answer: bool
    can_withdraw: bool
    can_check_in: bool


@dataclass(frozen=True)
class Seat:
    """A current member of a committee: seated by the draw, accepted, no conflict declared."""

    invitation_id: int
    expert_id: int
    user_id: int | None
    name: str
    specialty: str
    checked_in_at: datetime | None


WRONG_LINK = N_("this invitation link is wrong or has already been used")


# --- reading -----------------------------------------------------------------------------------


def _days(draw: ExpertDraw) -> tuple[date, date]:
    """The evaluation's first and last day, as the recorded request says."""
    days = int(json.loads(draw.request)["evaluation_days"])
    return draw.evaluation_date, draw.evaluation_date + timedelta(days=days - 1)


def _out(invitation: ExpertInvitation, draw: ExpertDraw, tender: Tender, now: datetime) -> InvitationOut:
    first, last = _days(draw)
    today = to_display(now).date()
    accepted = invitation.status == InvitationStatus.accepted and invitation.checked_in_at is None
    return InvitationOut(
        id=invitation.id, tender_id=tender.id, tender_code=tender.code, tender_title=tender.title, lot=draw.lot_number,  # type: ignore[arg-type]
        specialty=invitation.specialty, status=invitation.status, evaluation_date=first, evaluation_last_day=last,  # type: ignore[arg-type]
        answer_by=invitation.answer_by, answered_at=invitation.answered_at, reason=invitation.reason,
        checked_in_at=invitation.checked_in_at, conflict_detail=invitation.conflict_detail,
        can_answer=invitation.status == InvitationStatus.invited and now < invitation.answer_by,
        can_withdraw=accepted and today <= last, can_check_in=accepted and first <= today <= last,
    )


async def _context(session: AsyncSession, invitation: ExpertInvitation) -> tuple[ExpertDraw, Tender]:
    draw = await session.get(ExpertDraw, invitation.draw_id)
    tender = await session.get(Tender, draw.tender_id)  # type: ignore[union-attr]
    return draw, tender  # type: ignore[return-value]


async def describe(session: AsyncSession, platform: Platform, invitation: ExpertInvitation) -> InvitationOut:
    return _out(invitation, *await _context(session, invitation), platform.clock.now())


async def mine(session: AsyncSession, platform: Platform, actor: Actor) -> list[InvitationOut]:
    expert = await service.own_profile(session, actor)
    rows = await session.execute(
        select(ExpertInvitation, ExpertDraw, Tender).join(ExpertDraw, ExpertDraw.id == ExpertInvitation.draw_id)  # type: ignore[arg-type]
        .join(Tender, Tender.id == ExpertDraw.tender_id)  # type: ignore[arg-type]
        .where(ExpertInvitation.expert_id == expert.id).order_by(ExpertInvitation.id.desc())  # type: ignore[union-attr]
    )
    now = platform.clock.now()
    return [_out(invitation, draw, tender, now) for invitation, draw, tender in rows]


async def own(session: AsyncSession, actor: Actor, invitation_id: int, *, for_update: bool = False) -> ExpertInvitation:
    expert = await service.own_profile(session, actor)
    invitation = await session.get(ExpertInvitation, invitation_id, with_for_update=for_update)
    if invitation is None or invitation.expert_id != expert.id:
        raise NotFound(N_("no invitation %(id)s"), id=invitation_id)  # another's invitation is not even said to exist
    return invitation


async def by_token(session: AsyncSession, token: str, *, for_update: bool = False) -> ExpertInvitation:
    """The invitation a one-time link opens, while it waits for its answer."""
    query = select(ExpertInvitation).where(ExpertInvitation.token_hash == token_hash(token), ExpertInvitation.status == InvitationStatus.invited)
    invitation = (await session.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
    if invitation is None:
        raise NotFound(WRONG_LINK)
    return invitation


async def committee(session: AsyncSession, tender_id: int, lot: int | None) -> list[Seat]:
    """The committee now: the draw's seats whose experts accepted and declared no conflict, in seat order.

    A member replaced after a conflict is not here, so what they did counts for nothing
    [实施条例 第四十八条]. Empty when no draw was made.
    """
    draw = await draws.draw_of(session, tender_id, lot)
    if draw is None:
        return []
    order = {seat[0]: n for n, seat in enumerate(json.loads(draw.outcome)["seats"])}
    rows = await session.execute(
        select(ExpertInvitation, Expert).join(Expert, Expert.id == ExpertInvitation.expert_id)  # type: ignore[arg-type]
        .where(ExpertInvitation.draw_id == draw.id, ExpertInvitation.status == InvitationStatus.accepted)
    )
    seats = [Seat(i.id, e.id, e.user_id, e.name, i.specialty, i.checked_in_at) for i, e in rows if str(e.id) in order]  # type: ignore[arg-type]
    return sorted(seats, key=lambda s: order[str(s.expert_id)])


# --- answering ---------------------------------------------------------------------------------


async def _record(session: AsyncSession, platform: Platform, actor: Actor | None, action: str, invitation: ExpertInvitation,
                  **details: object) -> None:
    await audit.record(session, platform.clock, actor, action, subject_type="invitation", subject_id=invitation.id,
                       details={"draw_id": invitation.draw_id, "expert_id": invitation.expert_id, **details},
                       embargo=embargo_key(invitation.draw_id))


async def _answer(session: AsyncSession, platform: Platform, actor: Actor | None, invitation: ExpertInvitation,
                  decline: DeclineIn | None, via: str) -> ExpertInvitation:
    now = platform.clock.now()
    if invitation.status != InvitationStatus.invited:
        raise Conflict(N_("this invitation was already answered (%(status)s)"), status=invitation.status)
    if now >= invitation.answer_by:
        raise Conflict(N_("the time to answer passed at %(time)s"), time=to_display(invitation.answer_by).strftime("%Y-%m-%d %H:%M"))
    invitation.answered_at = now
    if decline is None:
        invitation.status = InvitationStatus.accepted
        session.add(invitation)
        await _record(session, platform, actor, "invitation.accepted", invitation, via=via)
        return invitation
    invitation.status, invitation.reason = InvitationStatus.declined, decline.reason
    session.add(invitation)
    await _record(session, platform, actor, "invitation.declined", invitation, via=via, reason=decline.reason)
    await draws.supplement(session, platform, invitation.draw_id, invitation.expert_id, InvitationStatus.declined)
    return invitation


async def accept(session: AsyncSession, platform: Platform, actor: Actor, invitation_id: int) -> ExpertInvitation:
    return await _answer(session, platform, actor, await own(session, actor, invitation_id, for_update=True), None, "account")


async def accept_by_token(session: AsyncSession, platform: Platform, token: str) -> ExpertInvitation:
    return await _answer(session, platform, None, await by_token(session, token, for_update=True), None, "link")


async def decline_by_token(session: AsyncSession, platform: Platform, token: str, data: DeclineIn) -> ExpertInvitation:
    return await _answer(session, platform, None, await by_token(session, token, for_update=True), data, "link")


async def decline(session: AsyncSession, platform: Platform, actor: Actor, invitation_id: int, data: DeclineIn) -> ExpertInvitation:
    """Decline an invitation, or withdraw after accepting (until checked in, within the evaluation days)."""
    invitation = await own(session, actor, invitation_id, for_update=True)
    if invitation.status != InvitationStatus.accepted:
        return await _answer(session, platform, actor, invitation, data, "account")
    described = await describe(session, platform, invitation)
    if not described.can_withdraw:
        raise Conflict(N_("an expert who checked in declares a conflict instead; after the evaluation nothing can be withdrawn"))
    invitation.status, invitation.reason = InvitationStatus.withdrawn, data.reason
    session.add(invitation)
    await _record(session, platform, actor, "invitation.withdrawn", invitation, reason=data.reason)
    await draws.supplement(session, platform, invitation.draw_id, invitation.expert_id, InvitationStatus.withdrawn)
    return invitation


async def check_in(session: AsyncSession, platform: Platform, actor: Actor, invitation_id: int, data: CheckInIn) -> ExpertInvitation:
    invitation = await own(session, actor, invitation_id, for_update=True)
    described = await describe(session, platform, invitation)
    if invitation.status != InvitationStatus.accepted:
        raise Conflict(N_("only an accepted invitation can check in; this one is %(status)s"), status=invitation.status)
    if invitation.checked_in_at is not None:
        raise Conflict(N_("you already checked in"))
    if not described.can_check_in:
        raise Conflict(N_("check-in is open on the evaluation days only, %(first)s to %(last)s"),
                       first=described.evaluation_date.isoformat(), last=described.evaluation_last_day.isoformat())
    if data.conflict and not data.detail:
        raise InvalidInput.for_field("body.detail", N_("describe the conflict of interest"))
    invitation.checked_in_at = platform.clock.now()
    if not data.conflict:
        session.add(invitation)
        await _record(session, platform, actor, "invitation.checked_in", invitation)
        return invitation
    invitation.status, invitation.conflict_detail = InvitationStatus.conflict_declared, data.detail
    session.add(invitation)
    await _record(session, platform, actor, "invitation.conflict_declared", invitation, detail=data.detail)
    await draws.supplement(session, platform, invitation.draw_id, invitation.expert_id, InvitationStatus.conflict_declared)
    return invitation


async def expire(session: AsyncSession, platform: Platform, invitation_id: int) -> bool:
    """No answer by the deadline counts as a decline; safe to repeat (the scheduler's recheck)."""
    invitation = await session.get(ExpertInvitation, invitation_id, with_for_update=True)
    if invitation is None or invitation.status != InvitationStatus.invited or platform.clock.now() < invitation.answer_by:
        return False
    invitation.status = InvitationStatus.no_answer
    session.add(invitation)
    await _record(session, platform, None, "invitation.no_answer", invitation)
    await draws.supplement(session, platform, invitation.draw_id, invitation.expert_id, InvitationStatus.no_answer)
    return True
