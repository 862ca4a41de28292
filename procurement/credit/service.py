"""The credit check: one function every part of the platform calls before it lets a supplier act.

Purposes in use: ``registration`` (supplier self-registration, by USCC: the organisation
does not exist yet), ``documents`` (obtaining tender documents), ``bid_submission``,
``opening``; to come with their parts: ``award``, ``mall_listing``, ``mall_order``.
Every check is stored with what it saw; a refusal must be kept too, so callers whose
transaction rolls back on the refusal use ``require_clear_kept``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import to_display
from procurement.credit.models import BlacklistEntry, CreditCheck, EntryStatus
from procurement.errors import Forbidden
from procurement.identity.models import Organisation
from procurement.platform import Platform


@dataclass(frozen=True)
class CheckResult:
    checks: list[CreditCheck]  # one per organisation checked, as stored
    entries: list[BlacklistEntry]  # what debars any of them; empty when all are clear

    @property
    def passed(self) -> bool:
        return not self.entries


async def entries_in_force(session: AsyncSession, uscc: str, platform: Platform) -> list[BlacklistEntry]:
    """Entries debarring ``uscc`` today (Beijing date): in force, started, not yet ended.

    The date test is applied here as well as by the expiry job, so that an entry whose end
    date passed while the scheduler was down no longer counts.
    """
    today = to_display(platform.clock.now()).date()
    query = select(BlacklistEntry).where(
        BlacklistEntry.uscc == uscc,
        BlacklistEntry.status == EntryStatus.in_force,
        BlacklistEntry.starts_on <= today,
        or_(BlacklistEntry.ends_on.is_(None), BlacklistEntry.ends_on >= today),
    )
    return list((await session.execute(query.order_by(BlacklistEntry.id))).scalars())


async def check(
    session: AsyncSession, platform: Platform, organisation_ids: list[int], purpose: str, *, subject_type: str = "", subject_id: object = ""
) -> CheckResult:
    """Check each organisation (a consortium: every member) and keep what was seen.

    Passes only if none is debarred: one member's record counts against the whole consortium.
    """
    if not organisation_ids:
        raise ValueError("a credit check needs at least one organisation")
    # One query for every code (not a get per organisation): the check runs at every bid.
    codes = dict((await session.execute(select(Organisation.id, Organisation.uscc).where(Organisation.id.in_(organisation_ids)))).all())
    missing = [i for i in organisation_ids if i not in codes]
    if missing:
        raise ValueError(f"no organisation {missing[0]}")
    targets: list[tuple[int | None, str]] = [(i, codes[i]) for i in organisation_ids]
    return await _check_targets(session, platform, targets, purpose, subject_type=subject_type, subject_id=subject_id)


async def check_uscc(
    session: AsyncSession, platform: Platform, uscc: str, purpose: str, *, subject_type: str = "", subject_id: object = ""
) -> CheckResult:
    """Check a code that has no organisation yet (registration); the record names the USCC only."""
    return await _check_targets(session, platform, [(None, uscc)], purpose, subject_type=subject_type, subject_id=subject_id)


async def _check_targets(
    session: AsyncSession, platform: Platform, targets: list[tuple[int | None, str]], purpose: str, *, subject_type: str, subject_id: object
) -> CheckResult:
    entries: list[BlacklistEntry] = []
    checks: list[CreditCheck] = []
    for organisation_id, uscc in targets:
        found = await entries_in_force(session, uscc, platform)
        checks.append(CreditCheck(
            organisation_id=organisation_id, uscc=uscc, purpose=purpose, subject_type=subject_type,
            subject_id=str(subject_id), checked_at=platform.clock.now(), passed=not found,
            seen=json.dumps([_seen(entry) for entry in found], ensure_ascii=False),
        ))
        entries += found
    session.add_all(checks)
    await session.flush()
    return CheckResult(checks, entries)


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
    """``require_clear`` whose record survives the refusal: the check commits in its own transaction.

    The caller's transaction rolls back when the refusal is raised, and the check it saw
    must still be kept (财库〔2016〕125号). On SQLite a second write transaction would wait for
    the caller's if that one already holds the write lock (a batch such as the demo loader);
    then the check goes into the caller's transaction instead, which keeps a passed check.
    """

    async def run(target: AsyncSession) -> CheckResult:
        if uscc is not None:
            return await check_uscc(target, platform, uscc, purpose, subject_type=subject_type, subject_id=subject_id)
        return await check(target, platform, list(organisation_ids or []), purpose, subject_type=subject_type, subject_id=subject_id)

    if platform.db.is_sqlite and session.in_transaction():
        result = await run(session)
    else:
        async with platform.db.transaction() as own:
            result = await run(own)
    if not result.passed:
        raise refusal(result)
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
