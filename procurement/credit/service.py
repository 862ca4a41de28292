"""The credit check: one function every part of the platform calls before it lets a supplier act.

Purposes in use: ``registration`` (supplier self-registration, by USCC: the organisation
does not exist yet), ``documents`` (obtaining tender documents), ``bid_submission``,
``opening``, ``award``, ``mall_listing``, ``mall_order``.
Every check is stored with what it saw. A refusal must be kept even though the caller's
transaction rolls back on it: such callers use ``check_kept`` (committed on its own) or
``require_clear_kept`` (the refusal's records committed after the rollback).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from procurement.clock import to_display
from procurement.credit.models import BlacklistEntry, CreditCheck, EntryStatus
from procurement.errors import Forbidden
from procurement.identity.models import Organisation
from procurement.models_base import row_of
from procurement.platform import Platform


@dataclass(frozen=True)
class CheckResult:
    checks: list[CreditCheck]  # one per organisation checked, as stored
    entries: list[BlacklistEntry]  # what debars any of them; empty when all are clear

    @property
    def passed(self) -> bool:
        return not self.entries


def in_force(today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """An entry debars on ``today`` (a Beijing date): in force, started, not yet ended.

    The date test is applied here as well as by the expiry job, so that an entry whose end
    date passed while the scheduler was down no longer counts. The one definition of
    "debarred": the check below and the mall's catalogue filter both use it.
    """
    return and_(
        BlacklistEntry.status == EntryStatus.in_force, BlacklistEntry.starts_on <= today,
        or_(BlacklistEntry.ends_on.is_(None), BlacklistEntry.ends_on >= today),
    )


# Each organisation's code with the entries in force against it. Built once: the check runs at
# every bid and every mall order, and building the statement cost more than running it.
_ENTRIES_AGAINST = (
    select(Organisation.id, Organisation.uscc, BlacklistEntry)
    .outerjoin(BlacklistEntry, and_(BlacklistEntry.uscc == Organisation.uscc, in_force(bindparam("today"))))
    .where(Organisation.id.in_(bindparam("ids", expanding=True))).order_by(BlacklistEntry.id)
)


def _record(
    session: Session, platform: Platform, purpose: str, organisation_ids: list[int] | None, uscc: str | None, subject_type: str, subject_id: object
) -> CheckResult:
    """The check itself, written once for both kinds of session (see ``check`` and ``check_kept``).

    Two statements, whatever the number of organisations (it runs at every bid): one reads each
    organisation's code with the entries in force against it, one stores a check per organisation.
    """
    today = to_display(platform.clock.now()).date()
    if uscc is not None:  # a code with no organisation yet (registration)
        found = session.execute(select(BlacklistEntry).where(BlacklistEntry.uscc == uscc, in_force(today)).order_by(BlacklistEntry.id)).scalars()
        rows: list[tuple[int | None, str, BlacklistEntry | None]] = [(None, uscc, entry) for entry in found]
        targets: list[tuple[int | None, str]] = [(None, uscc)]
    else:
        if not organisation_ids:
            raise ValueError("a credit check needs at least one organisation")
        rows = [tuple(row) for row in session.execute(_ENTRIES_AGAINST, {"ids": organisation_ids, "today": today})]
        codes = {organisation_id: code for organisation_id, code, _ in rows}
        missing = [i for i in organisation_ids if i not in codes]
        if missing:
            raise ValueError(f"no organisation {missing[0]}")
        targets = [(i, codes[i]) for i in organisation_ids]
    by_code: dict[str, list[BlacklistEntry]] = {}
    for _, code, entry in rows:
        if entry is not None:
            by_code.setdefault(code, []).append(entry)
    now = platform.clock.now()
    values = [
        {"organisation_id": organisation_id, "uscc": code, "purpose": purpose, "subject_type": subject_type, "subject_id": str(subject_id),
         "checked_at": now, "passed": not by_code.get(code), "seen": json.dumps([_seen(e) for e in by_code.get(code, [])], ensure_ascii=False)}
        for organisation_id, code in targets
    ]
    # A Core INSERT, not the unit of work: the rows are final, and the flush machinery cost more
    # than the statement. The objects returned are detached records of what was stored.
    ids = session.execute(insert(CreditCheck).returning(CreditCheck.id, sort_by_parameter_order=True), values).scalars().all()
    checks = [CreditCheck(id=new_id, **row) for new_id, row in zip(ids, values, strict=True)]
    return CheckResult(checks, [entry for _, code in targets for entry in by_code.get(code, [])])


def _work(
    platform: Platform, purpose: str, organisation_ids: list[int] | None, uscc: str | None, subject_type: str, subject_id: object
) -> Callable[[Session], CheckResult]:
    """The check as synchronous work: for an organisation list, or for a code with no organisation yet."""
    return lambda session: _record(session, platform, purpose, organisation_ids, uscc, subject_type, subject_id)


async def check(
    session: AsyncSession, platform: Platform, organisation_ids: list[int], purpose: str, *, subject_type: str = "", subject_id: object = ""
) -> CheckResult:
    """Check each organisation (a consortium: every member) and keep what was seen, in the caller's transaction.

    Passes only if none is debarred: one member's record counts against the whole consortium.
    """
    return await session.run_sync(_work(platform, purpose, organisation_ids, None, subject_type, subject_id))


async def check_kept(
    platform: Platform, purpose: str, *, organisation_ids: list[int] | None = None, uscc: str | None = None,
    subject_type: str = "", subject_id: object = "",
) -> CheckResult:
    """``check`` committed on its own, so that its record survives whatever the caller does next.

    ``uscc`` checks a code that has no organisation yet (registration): the record names the
    USCC only. The whole check is one ``Database.write`` (one thread trip on SQLite): it runs
    at every bid submission, where aiosqlite's per-call overhead used to cost more than the check.
    """
    return await platform.db.write(_work(platform, purpose, organisation_ids, uscc, subject_type, subject_id))


async def require_clear(
    session: AsyncSession, platform: Platform, organisation_ids: list[int], purpose: str, *, subject_type: str = "", subject_id: object = ""
) -> CheckResult:
    """``check``, refusing the action when an organisation is debarred."""
    result = await check(session, platform, organisation_ids, purpose, subject_type=subject_type, subject_id=subject_id)
    if not result.passed:
        raise refusal(result)
    return result


async def require_clear_kept(
    session: AsyncSession, platform: Platform, purpose: str, *, organisation_ids: list[int] | None = None, uscc: str | None = None,
    subject_type: str = "", subject_id: object = "",
) -> CheckResult:
    """``require_clear`` whose record survives the refusal (财库〔2016〕125号: what was seen is kept).

    The check runs in the caller's transaction: a passed check commits with the action it let
    through. A refusal rolls that transaction back, so the refusal carries the check's records
    as ``kept`` work, which ``Database.transaction`` commits on its own after the rollback. (A
    passed check whose action then fails for another reason goes with it: nothing happened for
    it to be the record of. Checking in a transaction of its own every time cost a third of a
    mall order.)
    """
    result = await session.run_sync(_work(platform, purpose, organisation_ids, uscc, subject_type, subject_id))
    if not result.passed:
        error = refusal(result)
        rows = [row_of(check, without=("id",)) for check in result.checks]
        error.kept = lambda kept_session: kept_session.execute(insert(CreditCheck), rows)
        raise error
    return result


async def require_consortium_clear(
    session: AsyncSession, platform: Platform, member_ids: list[int], purpose: str, *, subject_type: str = "", subject_id: object = ""
) -> CheckResult:
    """A consortium (联合体) takes part only if every member is clear: one member's record counts against all.

    Each member's check is stored; the refusal names the member's entry.
    """
    if len(set(member_ids)) != len(member_ids):
        raise ValueError("a consortium lists each member once")
    return await require_clear(session, platform, member_ids, purpose, subject_type=subject_type, subject_id=subject_id)


def refusal(result: CheckResult) -> Forbidden:
    """The error that refuses a debarred organisation, naming the entry that debars it."""
    first = result.entries[0]
    return Forbidden(
        "%(name)s is on the blacklist until %(until)s (%(authority)s, %(basis)s) and may not take part in tenders or mall trades on this platform",
        name=first.organisation_name, until=first.ends_on.isoformat() if first.ends_on else "—",
        authority=first.authority, basis=first.legal_basis,
    )


def _seen(entry: BlacklistEntry) -> dict[str, object]:
    return {
        "entry_id": entry.id, "uscc": entry.uscc, "conduct": entry.conduct, "penalty": entry.penalty,
        "starts_on": entry.starts_on.isoformat(), "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
        "authority": entry.authority, "legal_basis": entry.legal_basis,
    }
