"""The credit check: one function every part of the platform calls before it lets a supplier act."""

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
    entries: list[BlacklistEntry] = []
    checks: list[CreditCheck] = []
    for organisation_id in organisation_ids:
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None:
            raise ValueError(f"no organisation {organisation_id}")
        found = await entries_in_force(session, organisation.uscc, platform)
        checks.append(CreditCheck(
            organisation_id=organisation_id, uscc=organisation.uscc, purpose=purpose, subject_type=subject_type,
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


def refusal(result: CheckResult) -> Forbidden:
    """The error that refuses a debarred organisation, naming the entry that debars it."""
    first = result.entries[0]
    return Forbidden(
        "%(name)s is on the blacklist until %(until)s (%(authority)s, %(basis)s) and may not take part",
        name=first.organisation_name, until=first.ends_on.isoformat() if first.ends_on else "—",
        authority=first.authority, basis=first.legal_basis,
    )


def _seen(entry: BlacklistEntry) -> dict[str, object]:
    return {
        "entry_id": entry.id, "uscc": entry.uscc, "conduct": entry.conduct, "penalty": entry.penalty,
        "starts_on": entry.starts_on.isoformat(), "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
        "authority": entry.authority, "legal_basis": entry.legal_basis,
    }
