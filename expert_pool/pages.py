"""Expert pool pages: the operators' pool (search, CSV import and export, the specialty code
tree), one expert's record, and the expert's own profile.

The pages call the pool's services (``service``, ``csv_io``) as the API does; a refused form
comes back with the messages next to the fields they name and nothing changed. National IDs
are masked as the API masks them: whole only for supervisors and for the expert's own profile.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import csv_io, schemas, service
from expert_pool.controllers import EXPERTS, OPERATORS, POOL_READERS, ExpertId
from expert_pool.models import (
    Expert,
    ExpertSpecialty,
    ExpertStatus,
    RelationshipKind,
    Specialty,
)
from procurement.actor import Actor
from procurement.errors import N_, Conflict, InvalidInput
from procurement.i18n import gettext
from procurement.identity.models import Role
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
Errors = list[tuple[str, str]]

PAGE_SIZE = 25
BLANK_ROWS = 2  # empty rows under a profile's lists, to add to them
MAX_ROWS = 50  # as schemas.ProfileIn allows
STATUS_LABELS = {ExpertStatus.active: N_("Active"), ExpertStatus.suspended: N_("Suspended"), ExpertStatus.retired: N_("Retired")}
KIND_LABELS = {
    RelationshipKind.employer: N_("Employer (past or present)"),
    RelationshipKind.shareholding: N_("Shareholding or directorship"),
    RelationshipKind.relative: N_("Organisation of a close relative"),
}
REL_FIELDS = ("kind", "organisation_uscc", "from_date", "to_date")
AWAY_FIELDS = ("from_date", "to_date", "reason")
_LIST_PATH = re.compile(r"^(relationships|unavailable)\[(\d+)\]\.(\w+)$")
_PREFIX = {"relationships": "rel", "unavailable": "away"}


def labels(table: dict[str, str]) -> dict[str, str]:
    return {code: gettext(message) for code, message in table.items()}


# --- the pool --------------------------------------------------------------------------------


async def _find(session: AsyncSession, values: dict[str, str], page_number: int) -> tuple[list[Expert], int]:
    """One page of the pool and the number found. ``service.search`` (the API's) has no name
    filter and no paging; this is the same filter with both, for a pool of any size."""
    query = select(Expert)
    if values["name"]:
        query = query.where(Expert.name.contains(values["name"], autoescape=True))  # type: ignore[attr-defined]
    if values["region"]:
        query = query.where(Expert.region == values["region"])
    if values["status"]:
        query = query.where(Expert.status == values["status"])
    if values["specialty"]:
        code = values["specialty"]
        under = select(Specialty.id).where((Specialty.code == code) | Specialty.code.startswith(code + "."))  # type: ignore[union-attr]
        query = query.where(Expert.id.in_(select(ExpertSpecialty.expert_id).where(ExpertSpecialty.specialty_id.in_(under))))  # type: ignore[union-attr,attr-defined]
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    found = (await session.execute(query.order_by(Expert.id).offset((page_number - 1) * PAGE_SIZE).limit(PAGE_SIZE))).scalars()
    return list(found), total


def _tree(specialties: list[Specialty]) -> list[dict[str, Any]]:
    """The code list in tree order, each with its depth (``A01`` 0, ``A01.02`` 1)."""
    return [{"code": s.code, "name": s.name, "depth": s.code.count(".")} for s in specialties]


async def _pool_page(request: Request, session: AsyncSession, actor: Actor, *, values: dict[str, str] | None = None, page_number: int = 1,
                     errors: Errors | None = None, specialty_values: dict[str, str] | None = None, specialty_errors: Errors | None = None,
                     report: schemas.ImportReport | None = None, row_errors: dict[int, list[str]] | None = None,
                     import_errors: list[str] | None = None, done: str = "", status_code: int = 200) -> Template:
    values = values or {"name": "", "specialty": "", "region": "", "status": ""}
    experts, total = ([], 0) if errors else await _find(session, values, page_number)
    specialties = await service.list_specialties(session)
    query = "&".join(f"{k}={v}" for k, v in values.items() if v)
    export_query = "&".join(f"{k}={v}" for k, v in values.items() if v and k != "name")
    return page(
        request, "experts/pool.html", status_code=status_code, values=values, errors=errors or [],
        experts=await service.outputs(session, experts, whole_ids=service.sees_whole_ids(actor)), total=total,
        page_number=page_number, pages=max(1, -(-total // PAGE_SIZE)), query=query, export_query=export_query,
        specialties=_tree(specialties), specialty_names={s.code: s.name for s in specialties}, status_labels=labels(STATUS_LABELS),
        may_change=actor.has(Role.operator), specialty_values=specialty_values or {}, specialty_errors=specialty_errors or [],
        report=report, row_errors=row_errors or {}, import_errors=import_errors or [], columns=csv_io.IMPORT_COLUMNS, done=done,
    )


def _search_errors(values: dict[str, str]) -> Errors:
    errors: Errors = []
    if values["specialty"] and not re.match(schemas.SPECIALTY_CODE, values["specialty"]):
        errors.append(("specialty", gettext("Enter a specialty code such as A01 or A01.02.")))
    if values["region"] and not re.fullmatch(r"[0-9]{6}", values["region"]):
        errors.append(("region", gettext("Enter a region code of 6 digits, such as 460100.")))
    if values["status"] and values["status"] not in STATUS_LABELS:
        errors.append(("status", gettext("Choose one of the options.")))
    return errors


class ExpertPoolPages(Controller):
    """The pool for the trading centre: operators maintain it, supervisors read it."""

    tags = ["Pages"]

    @get("/experts", guards=[POOL_READERS], summary="The expert pool: search, import, export, specialty codes (operators; supervisors read)")
    async def pool(
        self, request: Request, session: DbSession, actor: CurrentActor,
        name: Annotated[str, QueryParameter(max_length=50)] = "", specialty: Annotated[str, QueryParameter(max_length=32)] = "",
        region: Annotated[str, QueryParameter(max_length=6)] = "", status: Annotated[str, QueryParameter(max_length=16)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
        done: Annotated[str, QueryParameter(pattern="^(|specialty)$")] = "",
    ) -> Template:
        values = {"name": name.strip(), "specialty": specialty.strip(), "region": region.strip(), "status": status}
        errors = _search_errors(values)
        return await _pool_page(request, session, actor, values=values, page_number=page_number, errors=errors, done=done,
                                status_code=400 if errors else 200)

    @post("/experts/specialties", guards=[OPERATORS], status_code=303, responses=FORM_AGAIN,
          summary="Add a specialty code from the pool page (operators)")
    async def add_specialty(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {"code": form_text(data, "specialty-code").upper(), "name": form_text(data, "specialty-name")}
        try:
            await service.create_specialty(session, platform, actor, schemas.SpecialtyIn(**values))
        except ValidationError as exc:
            return await _pool_page(request, session, actor, specialty_values=values, specialty_errors=_prefixed(errors_of(exc)), status_code=400)
        except (InvalidInput, Conflict) as exc:
            await session.rollback()
            return await _pool_page(request, session, actor, specialty_values=values, specialty_errors=_prefixed(errors_of(exc)),
                                    status_code=409 if isinstance(exc, Conflict) else 400)
        return Redirect("/experts?done=specialty#specialties", status_code=303)

    @post("/experts/imports", guards=[OPERATORS], status_code=200, responses=FORM_AGAIN,
          summary="Import experts from a CSV file on the pool page (operators): all rows or none, with the report per row")
    async def import_csv(self, request: Request, data: Multipart, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Template:
        upload = data.get("file")
        raw = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            report = await csv_io.import_experts(session, platform, actor, raw, via="page")
        except csv_io.ImportRefused as exc:
            await session.rollback()
            by_row: dict[int, list[str]] = {}
            for e in exc.errors:
                if e.field.startswith("row["):
                    number, _, rest = e.field[4:].partition("]")
                    by_row.setdefault(int(number), []).append(f"{rest.lstrip('.') or gettext('Row')}: {e.shown(gettext)}")
            file_errors = [e.shown(gettext) for e in exc.errors if not e.field.startswith("row[")]
            return await _pool_page(request, session, actor, report=exc.report, row_errors=by_row, import_errors=file_errors, status_code=400)
        return await _pool_page(request, session, actor, report=report)

    @get("/experts/{expert_id:int}", guards=[POOL_READERS], summary="One expert of the pool (operators, supervisors); national ID masked except for supervisors")
    async def one(self, request: Request, session: DbSession, actor: CurrentActor, expert_id: ExpertId) -> Template:
        expert = await service.get(session, expert_id)
        shown = (await service.outputs(session, [expert], whole_ids=service.sees_whole_ids(actor)))[0]
        specialties = {s.code: s.name for s in await service.list_specialties(session)}
        return page(request, "experts/expert.html", expert=shown, specialty_names=specialties, status_labels=labels(STATUS_LABELS),
                    kind_labels=labels(KIND_LABELS))


def _prefixed(errors: Errors) -> Errors:
    """The specialty form's fields carry a prefix: the search form on the same page has its own ``specialty``."""
    return [(f"specialty-{name}" if name else "", message) for name, message in errors]


# --- the expert's own profile ----------------------------------------------------------------


def _rows(data: dict[str, Any], prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows = [{name: form_text(data, f"{prefix}-{i}-{name}") for name in fields} for i in range(MAX_ROWS + BLANK_ROWS)]
    while rows and not any(rows[-1].values()):
        rows.pop()
    return rows


def _profile_body(phone: str, rels: list[dict[str, str]], away: list[dict[str, str]]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The API's input from the form, leaving out rows left blank; and which form row each item came from."""
    filled = {"relationships": [i for i, r in enumerate(rels) if any(v for k, v in r.items() if k != "kind")],
              "unavailable": [i for i, r in enumerate(away) if any(r.values())]}
    body = {
        "phone": phone,
        "relationships": [{k: v for k, v in rels[i].items() if v} for i in filled["relationships"]],
        "unavailable": [{k: v for k, v in away[i].items() if v or k == "reason"} for i in filled["unavailable"]],
    }
    return body, filled


def _profile_errors(errors: Errors, filled: dict[str, list[int]]) -> Errors:
    """``relationships[1].to_date`` -> ``rel-3-to_date`` when the second item filled in is the form's fourth row."""
    shown: Errors = []
    for name, message in errors:
        found = _LIST_PATH.match(name)
        if found:
            kind, index, field = found.group(1), int(found.group(2)), found.group(3)
            rows = filled[kind]
            name = f"{_PREFIX[kind]}-{rows[index] if index < len(rows) else index}-{field}"
        shown.append((name, message))
    return shown


async def _profile_page(request: Request, session: AsyncSession, actor: Actor, *, form: dict[str, Any] | None = None,
                        errors: Errors | None = None, done: str = "", status_code: int = 200) -> Template:
    expert = await service.own_profile(session, actor)
    shown = (await service.outputs(session, [expert], whole_ids=True))[0]
    if form is None:
        form = {
            "phone": shown.phone,
            "rels": [{"kind": r.kind, "organisation_uscc": r.organisation_uscc, "from_date": str(r.from_date or ""),
                      "to_date": str(r.to_date or "")} for r in shown.relationships],
            "away": [{"from_date": str(u.from_date), "to_date": str(u.to_date), "reason": u.reason} for u in shown.unavailable],
        }
    blank_rel, blank_away = dict.fromkeys(REL_FIELDS, ""), dict.fromkeys(AWAY_FIELDS, "")
    rels = [*form["rels"], *(dict(blank_rel) for _ in range(BLANK_ROWS))][:MAX_ROWS + BLANK_ROWS]
    away = [*form["away"], *(dict(blank_away) for _ in range(BLANK_ROWS))][:MAX_ROWS + BLANK_ROWS]
    specialties = {s.code: s.name for s in await service.list_specialties(session)}
    field_labels = {"phone": gettext("Mobile phone")}
    for i in range(len(rels)):
        field_labels |= {f"rel-{i}-kind": gettext("Relationship %(n)s: kind", n=i + 1),
                         f"rel-{i}-organisation_uscc": gettext("Relationship %(n)s: organisation's unified social credit code", n=i + 1),
                         f"rel-{i}-from_date": gettext("Relationship %(n)s: from", n=i + 1),
                         f"rel-{i}-to_date": gettext("Relationship %(n)s: until", n=i + 1)}
    for i in range(len(away)):
        field_labels |= {f"away-{i}-from_date": gettext("Unavailable period %(n)s: from", n=i + 1),
                         f"away-{i}-to_date": gettext("Unavailable period %(n)s: until", n=i + 1),
                         f"away-{i}-reason": gettext("Unavailable period %(n)s: reason", n=i + 1)}
    return page(request, "experts/profile.html", status_code=status_code, expert=shown, phone=form["phone"], rels=rels, away=away,
                errors=errors or [], field_labels=field_labels, specialty_names=specialties, status_labels=labels(STATUS_LABELS),
                kind_labels=labels(KIND_LABELS), done=done)


class ExpertProfilePages(Controller):
    """The expert keeps their own record current (``PUT /api/experts/me`` from a form)."""

    tags = ["Pages"]
    guards = [EXPERTS]

    @get("/experts/me", summary="My expert profile: phone, declared relationships, unavailable periods (experts)")
    async def profile(self, request: Request, session: DbSession, actor: CurrentActor,
                      done: Annotated[str, QueryParameter(pattern="^(|saved)$")] = "") -> Template:
        return await _profile_page(request, session, actor, done=done)

    @post("/experts/me", summary="Save my expert profile from the form (experts; audited)", status_code=303, responses=FORM_AGAIN)
    async def save(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        form = {"phone": form_text(data, "phone"), "rels": _rows(data, "rel", REL_FIELDS), "away": _rows(data, "away", AWAY_FIELDS)}
        body, filled = _profile_body(form["phone"], form["rels"], form["away"])
        try:
            await service.update_own_profile(session, platform, actor, schemas.ProfileIn(**body))
        except (ValidationError, InvalidInput) as exc:
            if isinstance(exc, InvalidInput):
                await session.rollback()
            return await _profile_page(request, session, actor, form=form, errors=_profile_errors(errors_of(exc), filled), status_code=400)
        return Redirect("/experts/me?done=saved", status_code=303)
