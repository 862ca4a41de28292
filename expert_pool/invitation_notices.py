"""Issuing invitations to drawn experts, and reading a draw's invitations for supervisors.

``invite`` is called by the draw service for every seat it fills (the first draw and every
supplementary draw): a row per seat, a one-time token whose SHA-256 only is kept, and outbox
messages carrying the link (SMS to the expert's phone, email when the expert's platform
account has an address). Messages are written in the platform's default language: they go
out from jobs as well as requests, and the expert's own choice is not known.

Every audit entry here names an expert, so each is held under the draw's embargo
(``embargo_key``) until the names may be known (the seed's reveal or the evaluation's start).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import draw as lib
from expert_pool.draw_models import ExpertDraw
from expert_pool.invitation_models import ExpertInvitation
from expert_pool.models import Expert
from procurement.audit import service as audit
from procurement.clock import DISPLAY_ZONE, to_display
from procurement.errors import N_
from procurement.i18n import catalogue
from procurement.identity.models import User
from procurement.outbox import service as outbox
from procurement.outbox.models import Channel
from procurement.platform import Platform
from procurement.tenders.models import Tender

SMS_TEXT = N_("%(name)s: you are drawn as an evaluation expert (specialty %(specialty)s) for %(tender)s (%(code)s), "
              "evaluation from %(date)s. Please accept or decline by %(answer_by)s: %(link)s")
EMAIL_SUBJECT = N_("Invitation to evaluate %(code)s")


class InvitationStatusOut(BaseModel):
    """One invitation as a supervisor sees it."""

    invitation_id: int
    expert_id: int
    name: str
    specialty: str
    round: int
    status: str
    answer_by: datetime
    answered_at: datetime | None
    reason: str
    checked_in_at: datetime | None
    conflict_detail: str


def embargo_key(draw_id: int) -> str:
    return f"expert-draw:{draw_id}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def day_start(day: date) -> datetime:
    """00:00 of a Beijing date, in UTC. An evaluation starts with its first day: a draw records a date, not an hour."""
    return datetime.combine(day, time(), DISPLAY_ZONE).astimezone(UTC)


def answer_deadline(now: datetime, evaluation_date: date, minutes: int) -> datetime:
    """``minutes`` from now, never past the evaluation's start; a seat filled once the evaluation
    started (a conflict at check-in) still gets the full time: nothing earlier is possible."""
    asked = now + timedelta(minutes=minutes)
    start = day_start(evaluation_date)
    return min(asked, start) if start > now else asked


def _text(language: str, template: str, **params: object) -> str:
    # The platform's default language, not the request's: messages go out from jobs as well as requests.
    return catalogue(language).get(template, template) % params


async def invite(session: AsyncSession, platform: Platform, draw: ExpertDraw, seats: Iterable[lib.Drawn]) -> list[ExpertInvitation]:
    now, settings = platform.clock.now(), platform.settings
    tender = await session.get(Tender, draw.tender_id)
    assert tender is not None  # the draw's foreign key
    answer_by = answer_deadline(now, draw.evaluation_date, settings.invitation_answer_minutes)
    made: list[ExpertInvitation] = []
    for seat in seats:
        expert_id = int(seat.expert_id)
        expert, email = (await session.execute(
            select(Expert, User.email).outerjoin(User, User.id == Expert.user_id).where(Expert.id == expert_id)  # type: ignore[arg-type]
        )).one()
        token = secrets.token_urlsafe(32)
        invitation = ExpertInvitation(draw_id=draw.id, expert_id=expert_id, specialty=seat.specialty, round=seat.round,  # type: ignore[arg-type]
                                      token_hash=token_hash(token), answer_by=answer_by, created_at=now)
        session.add(invitation)
        await session.flush()
        params = {"name": expert.name, "specialty": seat.specialty, "tender": tender.title, "code": tender.code,
                  "date": draw.evaluation_date.isoformat(), "answer_by": to_display(answer_by).strftime("%Y-%m-%d %H:%M"),
                  "link": f"{settings.base_url.rstrip('/')}/invitations/{token}"}
        body = _text(settings.default_language, SMS_TEXT, **params)
        reference = f"invitation:{invitation.id}"
        channels = []
        if expert.phone:
            await outbox.enqueue(session, platform.clock, channel=Channel.sms, recipient=expert.phone, body=body, reference=reference)
            channels.append(Channel.sms.value)
        if email:
            await outbox.enqueue(session, platform.clock, channel=Channel.email, recipient=email, body=body, reference=reference,
                                 subject=_text(settings.default_language, EMAIL_SUBJECT, **params))
            channels.append(Channel.email.value)
        await audit.record(
            session, platform.clock, None, "invitation.sent", subject_type="invitation", subject_id=invitation.id,
            details={"draw_id": draw.id, "expert_id": expert_id, "specialty": seat.specialty, "round": seat.round,
                     "answer_by": answer_by.isoformat(), "channels": channels},
            embargo=embargo_key(draw.id),  # type: ignore[arg-type]
        )
        made.append(invitation)
    return made


async def of_draw(session: AsyncSession, draw_id: int) -> list[InvitationStatusOut]:
    rows = await session.execute(
        select(ExpertInvitation, Expert.name).join(Expert, Expert.id == ExpertInvitation.expert_id)  # type: ignore[arg-type]
        .where(ExpertInvitation.draw_id == draw_id).order_by(ExpertInvitation.id)  # type: ignore[arg-type]
    )
    return [
        InvitationStatusOut(invitation_id=i.id, expert_id=i.expert_id, name=name, specialty=i.specialty, round=i.round,  # type: ignore[arg-type]
                            status=i.status, answer_by=i.answer_by, answered_at=i.answered_at, reason=i.reason,
                            checked_in_at=i.checked_in_at, conflict_detail=i.conflict_detail)
        for i, name in rows
    ]
