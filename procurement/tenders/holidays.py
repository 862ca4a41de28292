"""The holiday calendar operators maintain: working days are counted with it.

Each year the State Council announces the public holidays and the weekends worked in
exchange (调休); operators enter them here, and every working-day rule uses them at once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import Forbidden, InvalidInput
from procurement.identity.models import Role
from procurement.platform import Platform
from procurement.tenders.calendar import HolidayCalendar
from procurement.tenders.models import CalendarDay

KINDS = ("holiday", "working_weekend")


async def load_calendar(session: AsyncSession) -> HolidayCalendar:
    days = (await session.execute(select(CalendarDay))).scalars().all()
    return HolidayCalendar(
        holidays=frozenset(d.day for d in days if d.kind == "holiday"),
        working_weekends=frozenset(d.day for d in days if d.kind == "working_weekend"),
    )


async def list_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    query = select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list((await session.execute(query.order_by(CalendarDay.day))).scalars())


async def set_day(session: AsyncSession, platform: Platform, actor: Actor, day: date, kind: str, name: str) -> CalendarDay:
    if not actor.has(Role.operator):
        raise Forbidden("only the trading centre maintains the holiday calendar")
    if kind == "working_weekend" and day.weekday() < 5:
        raise InvalidInput.for_field("body.kind", "%(day)s is a weekday: only a Saturday or Sunday can be a working weekend", day=day.isoformat())
    if kind == "holiday" and day.weekday() >= 5:
        raise InvalidInput.for_field("body.kind", "%(day)s is a weekend day already: a holiday on it changes nothing", day=day.isoformat())
    entry = await session.get(CalendarDay, day, with_for_update=True)
    before = {"kind": entry.kind, "name": entry.name} if entry else None
    if entry is None:
        entry = CalendarDay(day=day, kind=kind, name=name)
        session.add(entry)
    else:
        entry.kind, entry.name = kind, name
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "calendar.day_set", subject_type="calendar_day", subject_id=day.isoformat(),
        details={"kind": kind, "name": name, "before": before},
    )
    return entry


async def remove_day(session: AsyncSession, platform: Platform, actor: Actor, day: date) -> None:
    if not actor.has(Role.operator):
        raise Forbidden("only the trading centre maintains the holiday calendar")
    entry = await session.get(CalendarDay, day, with_for_update=True)
    if entry is None:
        return
    await session.delete(entry)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "calendar.day_removed", subject_type="calendar_day", subject_id=day.isoformat(),
        details={"kind": entry.kind, "name": entry.name},
    )
