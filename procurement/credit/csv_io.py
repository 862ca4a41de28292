"""The blacklist as CSV: export of the published fields, import of proposals.

Import is all or nothing: every row is checked first and the report says, row by row,
what is wrong; if any row is bad nothing is written. Each good row becomes a *proposal*
(a supervisor still puts it in force), never an entry in force.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.credit import workflow
from procurement.credit.models import BlacklistEntry
from procurement.credit.schemas import EntryIn, ImportReport, ImportRow
from procurement.errors import N_, FieldError, Forbidden, InvalidInput
from procurement.identity.models import Role
from procurement.platform import Platform

# The published fields (财办库〔2014〕526号) and the period, in this order.
EXPORT_COLUMNS = (
    "id", "uscc", "organisation_name", "address", "conduct", "penalty", "legal_basis", "authority", "starts_on", "ends_on", "status",
    "lifted_reason",
)
IMPORT_COLUMNS = ("uscc", "organisation_name", "address", "conduct", "penalty", "legal_basis", "authority", "starts_on", "ends_on")
REQUIRED_COLUMNS = frozenset(IMPORT_COLUMNS) - {"address", "ends_on"}
MAX_ROWS = 5000


def export(entries: Iterable[BlacklistEntry]) -> str:
    """UTF-8 with a BOM, so spreadsheet programs open the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        writer.writerow([
            entry.id, entry.uscc, entry.organisation_name, entry.address, entry.conduct, entry.penalty, entry.legal_basis, entry.authority,
            entry.starts_on.isoformat(), entry.ends_on.isoformat() if entry.ends_on else "", entry.status, entry.lifted_reason,
        ])
    return "\ufeff" + out.getvalue()


class ImportRefused(InvalidInput):
    """A bad file: nothing was written; ``report`` says what is wrong with each row."""

    def __init__(self, report: ImportReport, errors: list[FieldError]) -> None:
        super().__init__("%(summary)s", errors=errors, summary=f"{sum(not r.ok for r in report.rows)} row(s) are invalid; nothing was imported")
        self.report = report


def parse(raw: bytes) -> tuple[list[tuple[int, EntryIn | None, list[FieldError]]], list[FieldError]]:
    """Every row checked: (line number, the proposal or None, its errors), and the file's own errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [FieldError("body", N_("the file must be UTF-8 encoded CSV"))]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    unknown = sorted(set(header) - set(IMPORT_COLUMNS) - set(EXPORT_COLUMNS))
    if missing or unknown:
        message = N_("the header must name the columns %(columns)s; missing: %(missing)s; unknown: %(unknown)s")
        params = (("columns", ", ".join(IMPORT_COLUMNS)), ("missing", ", ".join(missing) or "-"), ("unknown", ", ".join(unknown) or "-"))
        return [], [FieldError("body.header", message, params)]
    rows: list[tuple[int, EntryIn | None, list[FieldError]]] = []
    for number, record in enumerate(reader, start=2):  # line 1 is the header
        if len(rows) >= MAX_ROWS:
            return rows, [FieldError("body", N_("at most %(n)s rows per file"), (("n", MAX_ROWS),))]
        values = {k.strip(): (v or "").strip() for k, v in record.items() if k and k.strip() in IMPORT_COLUMNS}
        if None in record:
            rows.append((number, None, [FieldError(f"row[{number}]", N_("this row has more cells than the header"))]))
            continue
        values["permanent"] = not values.get("ends_on")  # type: ignore[assignment]
        if not values.get("ends_on"):
            values.pop("ends_on", None)
        try:
            data = EntryIn(**values)  # type: ignore[arg-type]
        except ValidationError as exc:
            errors = [FieldError(f"row[{number}].{'.'.join(str(p) for p in e['loc'])}", e["msg"]) for e in exc.errors()]
            rows.append((number, None, errors))
            continue
        rows.append((number, data, workflow.field_errors(data, prefix=f"row[{number}]")))
    if not rows:
        return rows, [FieldError("body", N_("the file has no rows"))]
    return rows, []


async def import_proposals(session: AsyncSession, platform: Platform, actor: Actor, raw: bytes) -> ImportReport:
    if not actor.has(Role.operator):
        raise Forbidden(N_("blacklist entries are proposed by the trading centre's operators"))
    rows, file_errors = parse(raw)
    report = ImportReport(created=0, rows=[ImportRow(row=n, ok=not errs and data is not None, errors=[e.message for e in errs]) for n, data, errs in rows])
    errors = file_errors + [e for _, _, errs in rows for e in errs]
    if errors:
        raise ImportRefused(report, errors)
    for (_, data, _), line in zip(rows, report.rows, strict=True):
        entry = await workflow.insert_proposal(session, platform, actor, data, via="csv")  # type: ignore[arg-type]
        line.entry_id = entry.id
    report.created = len(rows)
    return report
