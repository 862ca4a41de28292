"""The blacklist's life: proposed by an operator, put in force by a supervisor, expired or lifted.

Two people: the supervisor who approves (or rejects) is never the operator who proposed.
Every step appends its audit entry in the same transaction. An entry in force expires by
itself at the end of its end date (Beijing day): ``next_check`` is that moment and the
scheduler's recheck (``credit.jobs``) moves it, also late after downtime. The check itself
(``service.in_force``) also applies the dates, so a late expiry never debars anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import anyio
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.clock import DISPLAY_ZONE, to_display
from procurement.credit.models import BlacklistEntry, CreditCheck, EntryStatus
from procurement.credit.schemas import EntryIn
from procurement.errors import (
    N_,
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from procurement.identity.models import Organisation, Role
from procurement.identity.uscc import UsccError, validate_uscc
from procurement.platform import Platform

PUBLIC_STATUSES = (EntryStatus.in_force, EntryStatus.expired, EntryStatus.lifted)
MAX_DECISION_BYTES = 50 * 1024 * 1024


class TooLarge(DomainError):
    status = 413
    slug = "too-large"
    title = "Request body too large"


def end_of(ends_on: date) -> datetime:
    """The moment an entry stops counting: midnight (Beijing) after its last day."""
    return datetime.combine(ends_on + timedelta(days=1), time(0), tzinfo=DISPLAY_ZONE)


def today(platform: Platform) -> date:
    return to_display(platform.clock.now()).date()


def field_errors(data: EntryIn, prefix: str = "body") -> list[FieldError]:
    """What the schema cannot say by itself: the USCC's check digit and the period."""
    errors: list[FieldError] = []
    try:
        validate_uscc(data.uscc)
    except UsccError:
        errors.append(FieldError(f"{prefix}.uscc", N_("is not a valid unified social credit code (GB 32100-2015: 18 characters, check character last)")))
    if data.ends_on is None and not data.permanent:
        errors.append(FieldError(f"{prefix}.ends_on", N_("give the last day of the debarment, or mark the entry permanent where the law allows it")))
    if data.ends_on is not None and data.permanent:
        errors.append(FieldError(f"{prefix}.ends_on", N_("a permanent entry has no end date")))
    if data.ends_on is not None and data.ends_on < data.starts_on:
        errors.append(FieldError(f"{prefix}.ends_on", N_("must not be before the start date %(starts_on)s"), (("starts_on", data.starts_on.isoformat()),)))
    return errors


def _require(actor: Actor, role: Role, template: str) -> None:
    if not actor.has(role):
        raise Forbidden(template)


async def propose(session: AsyncSession, platform: Platform, actor: Actor, data: EntryIn, *, via: str = "api") -> BlacklistEntry:
    _require(actor, Role.operator, N_("blacklist entries are proposed by the trading centre's operators"))
    errors = field_errors(data)
    if errors:
        raise InvalidInput.for_errors(errors)
    return await insert_proposal(session, platform, actor, data, via=via)


async def insert_proposal(session: AsyncSession, platform: Platform, actor: Actor, data: EntryIn, *, via: str) -> BlacklistEntry:
    now = platform.clock.now()
    entry = BlacklistEntry(
        uscc=validate_uscc(data.uscc), organisation_name=data.organisation_name, address=data.address, conduct=data.conduct,
        penalty=data.penalty, legal_basis=data.legal_basis, authority=data.authority, starts_on=data.starts_on,
        ends_on=data.ends_on, status=EntryStatus.proposed, proposed_by=actor.user_id, created_at=now, updated_at=now,
    )
    session.add(entry)
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "credit.entry_proposed", subject_type="credit_entry", subject_id=entry.id,
        details={"uscc": entry.uscc, "name": entry.organisation_name, "legal_basis": entry.legal_basis, "authority": entry.authority,
                 "starts_on": entry.starts_on.isoformat(), "ends_on": entry.ends_on.isoformat() if entry.ends_on else None, "via": via},
    )
    return entry


async def _entry(session: AsyncSession, entry_id: int, *, lock: bool = False) -> BlacklistEntry:
    entry = await session.get(BlacklistEntry, entry_id, with_for_update=lock)
    if entry is None:
        raise NotFound("there is no blacklist entry %(id)s", id=entry_id)
    return entry


async def attach_decision(
    platform: Platform, actor: Actor, entry_id: int, chunks: AsyncIterable[bytes], *, content_type: str, content_length: int | None
) -> BlacklistEntry:
    """Stream the decision document (处罚决定书) into storage with its SHA-256; while proposed only.

    As tender documents: checked in a short read, streamed with no transaction open, then
    recorded in a short write that checks again; the object goes if the row cannot be written.
    """
    _require(actor, Role.operator, N_("the decision document is attached by the trading centre's operators"))
    async with platform.db.transaction(write=False) as session:
        _proposed(await _entry(session, entry_id))
    if content_length is not None and content_length > MAX_DECISION_BYTES:
        raise TooLarge("a decision document may be at most %(limit)s bytes; this one is %(size)s", limit=MAX_DECISION_BYTES, size=content_length)
    key = f"credit/{entry_id}/decision/{uuid.uuid4().hex}"
    info = await platform.store.put(key, _at_most(chunks), content_type=content_type)
    try:
        if info.size == 0:
            raise InvalidInput.for_field("body", "the file is empty")
        async with platform.db.transaction() as session:
            entry = _proposed(await _entry(session, entry_id, lock=True))
            previous = entry.decision_sha256
            entry.decision_object_key, entry.decision_sha256, entry.decision_size = key, info.sha256, info.size
            entry.updated_at = platform.clock.now()
            await audit.record(
                session, platform.clock, actor, "credit.decision_attached", subject_type="credit_entry", subject_id=entry_id,
                details={"sha256": info.sha256, "size": info.size, "content_type": content_type, "replaces": previous},
            )
            return entry
    except BaseException:
        with anyio.CancelScope(shield=True):
            await platform.store.delete(key)
        raise


async def _at_most(chunks: AsyncIterable[bytes]):  # type: ignore[no-untyped-def]
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > MAX_DECISION_BYTES:
            raise TooLarge("a decision document may be at most %(limit)s bytes; this one is larger", limit=MAX_DECISION_BYTES)
        yield chunk


def _proposed(entry: BlacklistEntry) -> BlacklistEntry:
    if entry.status != EntryStatus.proposed:
        raise Conflict("this entry is %(status)s; only a proposed entry can be changed or decided", status=entry.status)
    return entry


async def approve(session: AsyncSession, platform: Platform, actor: Actor, entry_id: int) -> BlacklistEntry:
    """Put a proposal in force: a supervisor other than the proposer, with the decision document attached."""
    _require(actor, Role.supervisor, N_("blacklist entries are put in force by a supervisor"))
    entry = _proposed(await _entry(session, entry_id, lock=True))
    if entry.proposed_by == actor.user_id:
        raise Forbidden(N_("two people: the supervisor who approves an entry must not be the one who proposed it"))
    if entry.decision_sha256 is None:
        raise Conflict(N_("attach the decision document (处罚决定书) before the entry is approved"))
    now = platform.clock.now()
    entry.status = EntryStatus.in_force
    entry.approved_by = entry.decided_by = actor.user_id
    entry.decided_at = entry.updated_at = now
    # An entry whose period already ended (a decision recorded late) is kept as history: its
    # next_check is then past, so the next sweep expires it, and the check never counts it.
    entry.next_check = end_of(entry.ends_on) if entry.ends_on else None
    await audit.record(
        session, platform.clock, actor, "credit.entry_approved", subject_type="credit_entry", subject_id=entry_id,
        details={"uscc": entry.uscc, "proposed_by": entry.proposed_by, "decision_sha256": entry.decision_sha256},
    )
    return entry


async def reject(session: AsyncSession, platform: Platform, actor: Actor, entry_id: int, reason: str) -> BlacklistEntry:
    _require(actor, Role.supervisor, N_("blacklist proposals are rejected by a supervisor"))
    entry = _proposed(await _entry(session, entry_id, lock=True))
    if entry.proposed_by == actor.user_id:
        raise Forbidden(N_("two people: the supervisor who decides on an entry must not be the one who proposed it"))
    entry.status, entry.rejected_reason = EntryStatus.rejected, _reason(reason)
    entry.decided_by, entry.decided_at = actor.user_id, platform.clock.now()
    entry.updated_at = entry.decided_at
    await audit.record(
        session, platform.clock, actor, "credit.entry_rejected", subject_type="credit_entry", subject_id=entry_id, details={"reason": entry.rejected_reason},
    )
    return entry


async def lift(session: AsyncSession, platform: Platform, actor: Actor, entry_id: int, reason: str) -> BlacklistEntry:
    """Lift an entry in force before its end (a review overturned it, say): a supervisor, with a reason."""
    _require(actor, Role.supervisor, N_("a blacklist entry is lifted early only by a supervisor"))
    entry = await _entry(session, entry_id, lock=True)
    if entry.status != EntryStatus.in_force:
        raise Conflict("only an entry in force can be lifted; this one is %(status)s", status=entry.status)
    now = platform.clock.now()
    entry.status, entry.lifted_reason, entry.lifted_by, entry.lifted_at = EntryStatus.lifted, _reason(reason), actor.user_id, now
    entry.next_check, entry.updated_at = None, now
    await audit.record(
        session, platform.clock, actor, "credit.entry_lifted", subject_type="credit_entry", subject_id=entry_id, details={"reason": entry.lifted_reason},
    )
    return entry


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 5:
        raise InvalidInput.for_field("body.reason", "give the reason in at least %(n)s characters", n=5)
    if len(reason) > 1000:
        raise InvalidInput.for_field("body.reason", "must be at most %(n)s characters", n=1000)
    return reason


async def expire(session: AsyncSession, platform: Platform, entry_id: int) -> bool:
    """Expire an entry whose end has come; idempotent (the scheduler's recheck)."""
    entry = await session.get(BlacklistEntry, entry_id, with_for_update=True)
    if entry is None or entry.status != EntryStatus.in_force or entry.ends_on is None:
        return False
    now = platform.clock.now()
    if now < end_of(entry.ends_on):
        return False
    entry.status, entry.next_check, entry.updated_at = EntryStatus.expired, None, now
    await audit.record(
        session, platform.clock, None, "credit.entry_expired", subject_type="credit_entry", subject_id=entry_id,
        details={"uscc": entry.uscc, "ends_on": entry.ends_on.isoformat()},
    )
    return True


# --- Reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    name: str = ""
    uscc: str = ""
    authority: str = ""
    date_from: date | None = None  # the period overlaps [date_from, date_until]
    date_until: date | None = None
    status: str | None = None
    before_id: int | None = None  # cursor: entries with a smaller id
    limit: int = 20


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(session: AsyncSession, query: Search) -> list[BlacklistEntry]:
    """The public list: in force, expired and lifted entries (history marked by status), newest first.

    Proposed and rejected entries are never public.
    """
    statuses = [query.status] if query.status in PUBLIC_STATUSES else list(PUBLIC_STATUSES)
    stmt = select(BlacklistEntry).where(BlacklistEntry.status.in_(statuses))
    if query.name:
        stmt = stmt.where(BlacklistEntry.organisation_name.like(_like(query.name), escape="\\"))
    if query.uscc:
        stmt = stmt.where(BlacklistEntry.uscc.like(_like(query.uscc.upper()), escape="\\"))
    if query.authority:
        stmt = stmt.where(BlacklistEntry.authority.like(_like(query.authority), escape="\\"))
    if query.date_until is not None:
        stmt = stmt.where(BlacklistEntry.starts_on <= query.date_until)
    if query.date_from is not None:
        stmt = stmt.where(or_(BlacklistEntry.ends_on.is_(None), BlacklistEntry.ends_on >= query.date_from))
    if query.before_id is not None:
        stmt = stmt.where(BlacklistEntry.id < query.before_id)
    return list((await session.execute(stmt.order_by(BlacklistEntry.id.desc()).limit(query.limit))).scalars())


async def public_entry(session: AsyncSession, entry_id: int) -> BlacklistEntry:
    entry = await session.get(BlacklistEntry, entry_id)
    if entry is None or entry.status not in PUBLIC_STATUSES:
        raise NotFound("there is no published blacklist entry %(id)s", id=entry_id)
    return entry


async def entry_for(session: AsyncSession, actor: Actor | None, entry_id: int) -> BlacklistEntry:
    """Any entry to the trading centre and supervisors; published ones to everyone."""
    if actor is not None and actor.has(Role.operator, Role.supervisor):
        return await _entry(session, entry_id)
    return await public_entry(session, entry_id)


async def queue(session: AsyncSession, statuses: tuple[str, ...] = (EntryStatus.proposed,)) -> list[BlacklistEntry]:
    stmt = select(BlacklistEntry).where(BlacklistEntry.status.in_(statuses)).order_by(BlacklistEntry.id)
    return list((await session.execute(stmt)).scalars())


async def in_force(session: AsyncSession, limit: int = 200) -> list[BlacklistEntry]:
    stmt = select(BlacklistEntry).where(BlacklistEntry.status == EntryStatus.in_force).order_by(BlacklistEntry.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def checks(session: AsyncSession, actor: Actor, *, organisation_id: int | None, uscc: str | None, purpose: str | None, limit: int = 200) -> list[CreditCheck]:
    """The stored checks, newest first: supervisors only.

    A registration's check names the USCC only (the organisation did not exist yet), so asking
    by organisation also finds its registration checks by the organisation's code.
    """
    _require(actor, Role.supervisor, N_("credit checks are shown to supervisors"))
    stmt = select(CreditCheck)
    if organisation_id is not None:
        organisation = await session.get(Organisation, organisation_id)
        code = organisation.uscc if organisation else ""
        stmt = stmt.where(or_(CreditCheck.organisation_id == organisation_id, (CreditCheck.organisation_id.is_(None)) & (CreditCheck.uscc == code)))
    if uscc:
        stmt = stmt.where(CreditCheck.uscc == uscc.strip().upper())
    if purpose:
        stmt = stmt.where(CreditCheck.purpose == purpose)
    return list((await session.execute(stmt.order_by(CreditCheck.id.desc()).limit(limit))).scalars())
