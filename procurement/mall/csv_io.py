"""Reference prices from CSV (operators): all rows or none, with a report per row.

Columns: ``product_id, source, url, price, observed_on`` (price in yuan, date as 2026-01-31).
Every row is checked first; if any is bad nothing is written and the report says what is
wrong with each. Good rows are added as ``catalogue.add_reference`` adds one, so the
products' averages and price checks follow.
"""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.credit.csv_io import ImportRefused
from procurement.credit.schemas import ImportReport, ImportRow
from procurement.errors import N_, FieldError, Forbidden
from procurement.identity.models import Role
from procurement.mall import catalogue
from procurement.mall.models import Product
from procurement.mall.schemas import ReferenceIn
from procurement.platform import Platform

COLUMNS = ("product_id", "source", "url", "price", "observed_on")
MAX_ROWS = 5000


def parse(raw: bytes) -> tuple[list[tuple[int, int | None, ReferenceIn | None, list[FieldError]]], list[FieldError]]:
    """(line, product id, reference, errors) per row, and the file's own errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [FieldError("body", N_("the file must be UTF-8 encoded CSV"))]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if sorted(header) != sorted(COLUMNS):
        message = N_("the header must name the columns %(columns)s; missing: %(missing)s; unknown: %(unknown)s")
        params = (("columns", ", ".join(COLUMNS)), ("missing", ", ".join(sorted(set(COLUMNS) - set(header))) or "-"),
                  ("unknown", ", ".join(sorted(set(header) - set(COLUMNS))) or "-"))
        return [], [FieldError("body.header", message, params)]
    rows: list[tuple[int, int | None, ReferenceIn | None, list[FieldError]]] = []
    for number, record in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            return rows, [FieldError("body", N_("at most %(n)s rows per file"), (("n", MAX_ROWS),))]
        if None in record:
            rows.append((number, None, None, [FieldError(f"row[{number}]", N_("this row has more cells than the header"))]))
            continue
        values = {k.strip(): (v or "").strip() for k, v in record.items() if k}
        product_id = int(values["product_id"]) if values["product_id"].isdigit() and len(values["product_id"]) < 10 else None
        errors = [] if product_id else [FieldError(f"row[{number}].product_id", N_("is not a product number"))]
        try:
            reference = ReferenceIn(**{k: v for k, v in values.items() if k != "product_id"})  # type: ignore[arg-type]
        except ValidationError as exc:
            reference = None
            errors += [FieldError(f"row[{number}].{'.'.join(str(p) for p in e['loc'])}", e["msg"]) for e in exc.errors()]
        rows.append((number, product_id, reference, errors))
    if not rows:
        return rows, [FieldError("body", N_("the file has no rows"))]
    return rows, []


async def import_references(session: AsyncSession, platform: Platform, actor: Actor, raw: bytes) -> ImportReport:
    if not actor.has(Role.operator):
        raise Forbidden(N_("reference prices are entered by the trading centre's operators"))
    rows, file_errors = parse(raw)
    wanted = {product_id for _, product_id, _, _ in rows if product_id}
    known = set((await session.execute(select(Product.id).where(Product.id.in_(wanted)))).scalars()) if wanted else set()
    for number, product_id, _, errors in rows:
        if product_id and product_id not in known:
            errors.append(FieldError(f"row[{number}].product_id", N_("there is no product %(id)s"), (("id", product_id),)))
    report = ImportReport(created=0, rows=[ImportRow(row=n, ok=not errs, errors=[e.message for e in errs]) for n, _, _, errs in rows])
    errors = file_errors + [e for *_, errs in rows for e in errs]
    if errors:
        raise ImportRefused(report, errors)
    for _, product_id, reference, _ in rows:
        await catalogue.add_reference(session, platform, actor, product_id, reference, via="csv")  # type: ignore[arg-type]
    report.created = len(rows)
    return report
