"""Rating the experts after the evaluation: who rates, when, what each side sees, who is flagged for review.

- Who: the tender's purchaser (a user with the purchaser role in the tender's purchaser
  organisation) and the supervisors; one rating per draw, expert and side. The agency running
  the tender, bidders, operators and the experts themselves do not rate.
- Whom: every expert who sat, i.e. the draw outcome's current seats (an expert who declined was
  replaced and is no longer in them).
- When: from the Beijing day after the evaluation's last day (``evaluation_date +
  evaluation_days - 1``) to the end of the ``expert_rating_working_days``-th working day after it
  (holiday calendar included). Earlier or later is refused, naming the rule and the dates.
- What each side sees: the purchaser its own ratings, and the committee's names only once the
  evaluation ended (its representative sat with them); supervisors everything, with each
  expert's average and count, and the experts whose average is below
  ``expert_rating_review_below`` over at least ``expert_rating_min_count`` ratings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import draws
from expert_pool import service as pool
from expert_pool.draw_models import ExpertDraw
from expert_pool.models import Expert
from expert_pool.rating_models import ExpertRating, RaterSide
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.calendar import end_of_beijing_day
from procurement.tenders.holidays import load_calendar
from procurement.tenders.models import Tender

MAX_COMMENT = 2000


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: int = Field(ge=1, le=2**31 - 1, description="an expert who sat on this draw's committee")
    score: int = Field(ge=0, le=100, description="100-point score")
    comment: str = Field(min_length=1, max_length=MAX_COMMENT, description="what the score rests on")


class RatingOut(BaseModel):
    id: int
    draw_id: int
    tender_id: int
    expert_id: int
    side: RaterSide
    score: int
    comment: str
    rated_at: datetime


class SeatOut(BaseModel):
    expert_id: int
    name: str
    specialty: str
    ratings: list[RatingOut]  # the caller's side's rating (purchaser), or every side's (supervisors)
    average: float | None = None  # supervisors only: over every rating the expert ever received
    count: int | None = None


class DrawRatingsOut(BaseModel):
    draw_id: int
    tender_id: int
    lot: int | None
    side: RaterSide  # the caller's
    evaluation_last_day: date
    first_rating_day: date
    last_rating_day: date
    opens_at: datetime
    closes_at: datetime
    period: Literal["not_yet_open", "open", "closed"]
    members: int
    seats: list[SeatOut] | None  # None for the purchaser until the evaluation ended: the names are secret


class ExpertRatingsOut(BaseModel):
    expert_id: int
    name: str
    average: float | None
    count: int
    ratings: list[RatingOut]


class FlaggedOut(BaseModel):
    review_below: int
    min_count: int
    experts: list[ExpertRatingsOut]  # without the ratings themselves: open the expert for those


@dataclass(frozen=True)
class Window:
    last_day: date  # the evaluation's last day (Beijing)
    last_rating_day: date
    opens_at: datetime
    closes_at: datetime

    def period(self, moment: datetime) -> Literal["not_yet_open", "open", "closed"]:
        return "not_yet_open" if moment < self.opens_at else "open" if moment < self.closes_at else "closed"


async def window(session: AsyncSession, platform: Platform, row: ExpertDraw) -> Window:
    days = json.loads(row.request).get("evaluation_days", 1)
    last_day = row.evaluation_date + timedelta(days=days - 1)
    calendar = await load_calendar(session)
    closes_on = calendar.add_working_days(last_day, platform.settings.expert_rating_working_days)
    return Window(last_day, closes_on, end_of_beijing_day(last_day), end_of_beijing_day(closes_on))


def side_of(actor: Actor, tender: Tender) -> RaterSide:
    """The side the actor rates for, or Forbidden: only the tender's purchaser and supervisors rate."""
    if actor.has(Role.supervisor):
        return RaterSide.supervisor
    if actor.has(Role.purchaser) and actor.organisation_id == tender.purchaser_organisation_id:
        return RaterSide.purchaser
    raise Forbidden(N_("only the tender's purchaser and the supervisors rate its evaluation experts"))


def seats_of(row: ExpertDraw) -> list[tuple[int, str]]:
    """(expert id, specialty) of who sits now: the outcome's seats after every replacement."""
    return [(int(seat[0]), seat[1]) for seat in json.loads(row.outcome)["seats"]] if row.outcome else []


def rating_out(rating: ExpertRating) -> RatingOut:
    return RatingOut.model_validate(rating, from_attributes=True)


async def rate(session: AsyncSession, platform: Platform, actor: Actor, draw_id: int, data: RatingIn) -> ExpertRating:
    comment = data.comment.strip()
    if not comment:
        raise InvalidInput.for_field("body.comment", N_("say what the score rests on"))
    row = await draws.get_draw(session, actor, draw_id, for_update=True)  # serialises the ratings of one committee
    tender = await tenders.get_tender(session, actor, row.tender_id)
    side = side_of(actor, tender)
    if data.expert_id not in {expert_id for expert_id, _ in seats_of(row)}:
        raise InvalidInput.for_field("body.expert_id", N_("expert %(id)s did not sit on this committee"), id=data.expert_id)
    now = platform.clock.now()
    span = await window(session, platform, row)
    days = platform.settings.expert_rating_working_days
    period = span.period(now)
    if period == "not_yet_open":
        raise Conflict(N_("experts are rated after the evaluation, from %(opens)s; its last day is %(last_day)s"),
                       opens=(span.last_day + timedelta(days=1)).isoformat(), last_day=span.last_day.isoformat())
    if period == "closed":
        raise Conflict(N_("experts are rated within %(days)s working days after the evaluation; the last day was %(closed)s"),
                       days=days, closed=span.last_rating_day.isoformat())
    taken = (await session.execute(select(ExpertRating.id).where(
        ExpertRating.draw_id == draw_id, ExpertRating.expert_id == data.expert_id, ExpertRating.side == side))).first()
    if taken is not None:
        raise Conflict(N_("your side has already rated expert %(id)s for this committee"), id=data.expert_id)
    rating = ExpertRating(draw_id=draw_id, expert_id=data.expert_id, tender_id=row.tender_id, side=side, organisation_id=actor.organisation_id,
                          rated_by=actor.user_id, score=data.score, comment=comment, rated_at=now)
    session.add(rating)
    await session.flush()
    await audit.record(session, platform.clock, actor, "expert.rated", subject_type="expert", subject_id=data.expert_id,
                       details={"draw_id": draw_id, "tender_id": row.tender_id, "side": side.value, "score": data.score,
                                "comment": rating.comment, "rating_id": rating.id})
    return rating


async def _averages(session: AsyncSession, expert_ids: set[int]) -> dict[int, tuple[float, int]]:
    if not expert_ids:
        return {}
    rows = await session.execute(
        select(ExpertRating.expert_id, func.avg(ExpertRating.score), func.count()).where(ExpertRating.expert_id.in_(expert_ids))  # type: ignore[attr-defined]
        .group_by(ExpertRating.expert_id)
    )
    return {expert_id: (round(float(average), 2), int(count)) for expert_id, average, count in rows}


async def _names(session: AsyncSession, expert_ids: set[int]) -> dict[int, str]:
    if not expert_ids:
        return {}
    return dict((await session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(expert_ids)))).all())  # type: ignore[union-attr,arg-type]


async def of_draw(session: AsyncSession, platform: Platform, actor: Actor, draw_id: int) -> DrawRatingsOut:
    row = await draws.get_draw(session, actor, draw_id)
    tender = await tenders.get_tender(session, actor, row.tender_id)
    side = side_of(actor, tender)
    span = await window(session, platform, row)
    now = platform.clock.now()
    seated = seats_of(row)
    out = DrawRatingsOut(draw_id=draw_id, tender_id=row.tender_id, lot=row.lot_number, side=side, evaluation_last_day=span.last_day,
                         first_rating_day=span.last_day + timedelta(days=1), last_rating_day=span.last_rating_day,
                         opens_at=span.opens_at, closes_at=span.closes_at, period=span.period(now), members=len(seated), seats=None)
    if side == RaterSide.purchaser and now < span.opens_at:
        return out  # the committee stays secret from the purchaser until the evaluation ended
    query = select(ExpertRating).where(ExpertRating.draw_id == draw_id).order_by(ExpertRating.id)
    if side == RaterSide.purchaser:
        query = query.where(ExpertRating.side == RaterSide.purchaser)
    given: dict[int, list[RatingOut]] = defaultdict(list)
    for rating in (await session.execute(query)).scalars():
        given[rating.expert_id].append(rating_out(rating))
    ids = {expert_id for expert_id, _ in seated}
    names = await _names(session, ids)
    averages = await _averages(session, ids) if side == RaterSide.supervisor else {}
    out.seats = [
        SeatOut(expert_id=expert_id, name=names.get(expert_id, ""), specialty=specialty, ratings=given[expert_id],
                average=averages.get(expert_id, (None, 0))[0] if side == RaterSide.supervisor else None,
                count=averages.get(expert_id, (None, 0))[1] if side == RaterSide.supervisor else None)
        for expert_id, specialty in seated
    ]
    return out


async def draws_of_tender(session: AsyncSession, actor: Actor, tender_id: int) -> tuple[Tender, list[int]]:
    """The tender (if the actor rates for it) and the ids of its draws, by lot."""
    tender = await tenders.get_tender(session, actor, tender_id)
    side_of(actor, tender)
    found = await session.execute(select(ExpertDraw.id).where(ExpertDraw.tender_id == tender_id).order_by(ExpertDraw.lot_number, ExpertDraw.id))
    return tender, list(found.scalars())


def _supervisor(actor: Actor) -> None:
    if not actor.has(Role.supervisor):
        raise Forbidden(N_("the experts' averages are for supervisors"))


async def of_expert(session: AsyncSession, actor: Actor, expert_id: int) -> ExpertRatingsOut:
    _supervisor(actor)
    expert = await pool.get(session, expert_id)
    ratings = [rating_out(r) for r in (await session.execute(
        select(ExpertRating).where(ExpertRating.expert_id == expert_id).order_by(ExpertRating.rated_at, ExpertRating.id))).scalars()]
    average, count = (await _averages(session, {expert_id})).get(expert_id, (None, 0))
    return ExpertRatingsOut(expert_id=expert_id, name=expert.name, average=average, count=count, ratings=ratings)


async def flagged(session: AsyncSession, platform: Platform, actor: Actor) -> FlaggedOut:
    """Experts to review: average below the setting over at least the minimum number of ratings, lowest first."""
    _supervisor(actor)
    below, minimum = platform.settings.expert_rating_review_below, platform.settings.expert_rating_min_count
    average = func.avg(ExpertRating.score)
    rows = list(await session.execute(
        select(ExpertRating.expert_id, average, func.count()).group_by(ExpertRating.expert_id)
        .having(func.count() >= minimum, average < below).order_by(average, ExpertRating.expert_id)
    ))
    names = await _names(session, {expert_id for expert_id, _, _ in rows})
    return FlaggedOut(review_below=below, min_count=minimum, experts=[
        ExpertRatingsOut(expert_id=expert_id, name=names.get(expert_id, ""), average=round(float(avg), 2), count=int(count), ratings=[])
        for expert_id, avg, count in rows
    ])
