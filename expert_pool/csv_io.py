"""The expert pool as CSV: import (operators, or the CLI) and export.

Import is all or nothing: every row is checked first and the report says, row by row, which
field broke which rule; if any row is bad nothing is written. One audit entry per import,
with the counts. An expert already in the pool (same national ID) is refused, not updated:
a change to an expert is a decision, not a side effect of a file.

Columns (UTF-8, header first; a BOM is allowed; optional columns may be left out):

- name, national_id (GB 11643-1999), employer_uscc (GB 32100-2015), region (6 digits),
  specialties (codes from the list, ``A01.02;B03``): required
- title, years, phone, status (active | suspended | retired; default active),
  suspension_reason and suspended_until (both for suspended only), qualification_expires,
  username (an existing platform account with the expert role, linked to the expert)
- relationships: ``kind|organisation_uscc|from|to`` items separated by ``;`` (kind is
  employer, shareholding or relative; dates YYYY-MM-DD, either may be empty)
- unavailable: ``from|to|reason`` items separated by ``;``

Export writes the same columns after ``id``. National IDs are whole only in a supervisor's
export; an operator's export masks them (so it cannot be imported back as it is).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import schemas, service
from expert_pool.models import Expert
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import N_, FieldError, Forbidden, InvalidInput
from procurement.identity.models import Role, User, UserRole
from procurement.platform import Platform

IMPORT_COLUMNS = (
    "name", "national_id", "employer_uscc", "title", "years", "region", "phone", "status", "suspension_reason", "suspended_until",
    "qualification_expires", "username", "specialties", "relationships", "unavailable",
)
EXPORT_COLUMNS = ("id", *IMPORT_COLUMNS)
REQUIRED_COLUMNS = frozenset({"name", "national_id", "employer_uscc", "region", "specialties"})
MAX_ROWS = 5000


class ImportRefused(InvalidInput):
    """A bad file: nothing was written; ``report`` says what is wrong with each row."""

    def __init__(self, report: schemas.ImportReport, errors: list[FieldError]) -> None:
        bad = sum(not r.ok for r in report.rows)
        super().__init__("%(summary)s", errors=errors, summary=f"{bad} row(s) are invalid; nothing was imported")
        self.report = report


def _items(cell: str) -> list[list[str]]:
    return [[part.strip() for part in item.split("|")] for item in cell.split(";") if item.strip()]


def _row_values(record: dict[str, str]) -> dict[str, object]:
    """The cells as ``ExpertIn`` fields: empty optional cells left out, lists split."""
    values: dict[str, object] = {k: v for k, v in record.items() if v and k not in {"specialties", "relationships", "unavailable"}}
    values["specialties"] = [c.strip() for c in record.get("specialties", "").split(";") if c.strip()]
    values["relationships"] = [
        {k: v for k, v in zip(("kind", "organisation_uscc", "from_date", "to_date"), item, strict=False) if v} | ({"extra": item[4:]} if len(item) > 4 else {})
        for item in _items(record.get("relationships", ""))
    ]
    values["unavailable"] = [
        {k: v for k, v in zip(("from_date", "to_date", "reason"), item, strict=False) if v} | ({"extra": item[3:]} if len(item) > 3 else {})
        for item in _items(record.get("unavailable", ""))
    ]
    return values


def parse(raw: bytes, today: date) -> tuple[list[tuple[int, schemas.ExpertIn | None, list[FieldError]]], list[FieldError]]:
    """Every row checked without the database: (line number, the expert or None, its errors), and the file's own errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [FieldError("body", N_("the file must be UTF-8 encoded CSV"))]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    unknown = sorted(set(header) - set(EXPORT_COLUMNS))
    if missing or unknown:
        message = N_("the header must name the columns %(columns)s; missing: %(missing)s; unknown: %(unknown)s")
        params = (("columns", ", ".join(IMPORT_COLUMNS)), ("missing", ", ".join(missing) or "-"), ("unknown", ", ".join(unknown) or "-"))
        return [], [FieldError("body.header", message, params)]
    rows: list[tuple[int, schemas.ExpertIn | None, list[FieldError]]] = []
    for number, record in enumerate(reader, start=2):  # line 1 is the header
        if len(rows) >= MAX_ROWS:
            return rows, [FieldError("body", N_("at most %(n)s rows per file"), (("n", MAX_ROWS),))]
        if None in record:
            rows.append((number, None, [FieldError(f"row[{number}]", N_("this row has more cells than the header"))]))
            continue
        cells = {k.strip(): (v or "").strip() for k, v in record.items() if k and k.strip() in IMPORT_COLUMNS}
        try:
            data = schemas.ExpertIn(**_row_values(cells))  # type: ignore[arg-type]
        except ValidationError as exc:
            errors = [FieldError(f"row[{number}].{'.'.join(str(p) for p in e['loc'])}", e["msg"]) for e in exc.errors()]
            rows.append((number, None, errors))
            continue
        rows.append((number, data, service.expert_errors(data, f"row[{number}]", today)))
    if not rows:
        return rows, [FieldError("body", N_("the file has no rows"))]
    return rows, []


async def _database_errors(session: AsyncSession, rows: list[tuple[int, schemas.ExpertIn | None, list[FieldError]]],
                           codes: dict[str, int]) -> tuple[dict[int, int], list[FieldError]]:
    """Checks against the pool and the accounts; returns the user ids to link, by row."""
    good = [(n, d) for n, d, errs in rows if d is not None and not errs]
    ids = [d.national_id for _, d in good]
    known = set((await session.execute(select(Expert.national_id).where(Expert.national_id.in_(ids)))).scalars()) if ids else set()  # type: ignore[attr-defined]
    names = [d.username for _, d in good if d.username]
    accounts: dict[str, tuple[int, bool, bool]] = {}
    if names:
        for user_id, username, expert_role, linked in await session.execute(
            select(User.id, User.username, UserRole.role.is_not(None), Expert.id.is_not(None))  # type: ignore[union-attr]
            .outerjoin(UserRole, (UserRole.user_id == User.id) & (UserRole.role == Role.expert))  # type: ignore[arg-type]
            .outerjoin(Expert, Expert.user_id == User.id)  # type: ignore[arg-type]
            .where(User.username.in_(names))  # type: ignore[attr-defined]
        ):
            accounts[username] = (user_id, bool(expert_role), bool(linked))
    seen_ids: dict[str, int] = {}
    seen_users: dict[str, int] = {}
    links: dict[int, int] = {}
    errors: list[FieldError] = []
    for number, data in good:
        prefix = f"row[{number}]"
        for code in data.specialties:
            if code not in codes:
                errors.append(FieldError(f"{prefix}.specialties", N_("%(code)s is not in the specialty code list"), (("code", code),)))
        if data.national_id in known:
            errors.append(FieldError(f"{prefix}.national_id", N_("this expert is already in the pool")))
        elif data.national_id in seen_ids:
            errors.append(FieldError(f"{prefix}.national_id", N_("the same person is also on row %(row)s"), (("row", seen_ids[data.national_id]),)))
        seen_ids.setdefault(data.national_id, number)
        if data.username:
            account = accounts.get(data.username)
            if account is None:
                errors.append(FieldError(f"{prefix}.username", N_("no platform account has this username")))
            elif not account[1]:
                errors.append(FieldError(f"{prefix}.username", N_("the account must have the expert role")))
            elif account[2]:
                errors.append(FieldError(f"{prefix}.username", N_("the account is already linked to an expert")))
            elif data.username in seen_users:
                errors.append(FieldError(f"{prefix}.username", N_("the same account is also on row %(row)s"), (("row", seen_users[data.username]),)))
            else:
                links[number] = account[0]
            seen_users.setdefault(data.username, number)
    return links, errors


async def import_experts(session: AsyncSession, platform: Platform, actor: Actor | None, raw: bytes, *, via: str = "api") -> schemas.ImportReport:
    """``actor`` None: the system (the CLI on the configured database)."""
    if actor is not None and not actor.has(Role.operator):
        raise Forbidden(N_("experts are imported by the trading centre's operators"))
    rows, file_errors = parse(raw, platform.clock.now().date())
    codes = await service.specialty_ids(session)
    links, db_errors = await _database_errors(session, rows, codes) if not file_errors else ({}, [])
    errors = file_errors + [e for _, _, errs in rows for e in errs] + db_errors
    by_row: dict[int, list[schemas.ImportRowError]] = {n: [] for n, _, _ in rows}
    for e in errors:
        if e.field.startswith("row["):
            number = int(e.field[4:e.field.index("]")])
            by_row[number].append(schemas.ImportRowError(field=e.field[e.field.index("]") + 1:].lstrip(".") or "row", rule=e.message))
    report = schemas.ImportReport(created=0, rows=[schemas.ImportRow(row=n, ok=not by_row[n], errors=by_row[n]) for n, _, _ in rows])
    if errors:
        raise ImportRefused(report, errors)
    for (number, data, _), line in zip(rows, report.rows, strict=True):
        expert = await service.insert_expert(session, platform, data, codes, links.get(number))  # type: ignore[arg-type]
        line.expert_id = expert.id
    report.created = len(rows)
    await audit.record(session, platform.clock, actor, "expert.imported", subject_type="expert_pool", subject_id="import",
                       details={"via": via, "rows": len(rows), "created": report.created, "linked_accounts": len(links)})
    return report


def export(experts: Iterable[schemas.ExpertOut], usernames: dict[int, str]) -> str:
    """UTF-8 with a BOM, so spreadsheet programs open the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for e in experts:
        writer.writerow([
            e.id, e.name, e.national_id, e.employer_uscc, e.title, e.years, e.region, e.phone, e.status, e.suspension_reason,
            e.suspended_until.isoformat() if e.suspended_until else "", e.qualification_expires.isoformat() if e.qualification_expires else "",
            usernames.get(e.user_id, "") if e.user_id else "", ";".join(e.specialties),
            ";".join(f"{r.kind}|{r.organisation_uscc}|{r.from_date or ''}|{r.to_date or ''}" for r in e.relationships),
            ";".join(f"{u.from_date}|{u.to_date}|{u.reason}" for u in e.unavailable),
        ])
    return "\ufeff" + out.getvalue()


async def export_for(session: AsyncSession, actor: Actor, experts: list[Expert]) -> str:
    ids = [e.user_id for e in experts if e.user_id]
    usernames = dict((await session.execute(select(User.id, User.username).where(User.id.in_(ids)))).all()) if ids else {}  # type: ignore[attr-defined]
    return export(await service.outputs(session, experts, whole_ids=service.sees_whole_ids(actor)), usernames)  # type: ignore[arg-type]
