"""Expert draw pages: the request form for the organisation running a tender, and the
supervisors' draw monitor (committee, reserves, replacements, exclusions with reasons,
the seed commitment, the reveal, the verification).

Everything goes through ``expert_pool.draws`` as the API does; the names of the drawn
experts come only from ``draws.view``, which gives them to supervisors alone, so no other
role's page can show them. The owner's page shows counts and digests.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import draws, service
from expert_pool.draw_controllers import OWNERS, SUPERVISORS, DrawId
from expert_pool.draw_models import ExpertDraw
from expert_pool.models import Expert
from procurement.actor import Actor
from procurement.errors import N_, Conflict, InvalidInput
from procurement.i18n import gettext
from procurement.tenders import service as tenders
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.tenders.models import Tender
from procurement.tenders.pages import STATUS_LABELS, label
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Errors = list[tuple[str, str]]

MIN_SPECIALTY_ROWS = 3
MAX_SPECIALTY_ROWS = 20
MONITOR_PAGE_SIZE = 50
NUMBER_FIELDS = ("purchaser_representatives", "evaluation_days", "minimum_members")
_SPECIALTY_PATH = re.compile(r"^(seats|reserves)\.(.+)$")

# The exclusion codes of docs/expert-draw.md §4, in words.
REASON_LABELS = {
    "suspended": N_("Not active (suspended or retired)"),
    "qualification_expired": N_("Qualification expired before the evaluation ends"),
    "region_not_allowed": N_("Region outside the regions allowed"),
    "employer_purchaser": N_("Works or worked within 3 years for the purchaser"),
    "employer_bidder": N_("Works or worked within 3 years for a bidder"),
    "shareholding_bidder": N_("Holds shares in or directs a bidder"),
    "relative_bidder": N_("A close relative works for or owns a bidder"),
    "unavailable": N_("Unavailable on an evaluation day"),
    "recent_sitting": N_("Sat on a tender of the same purchaser recently"),
    "monthly_draw_limit": N_("Drawn too often this month"),
    "project_supervisor": N_("On the staff of a body supervising this project"),
}
# What each check of the verification compares (the codes of ``draws.CHECKS``).
CHECK_LABELS = {
    "seed_not_committed": N_("The seed matches the commitment written in the audit log before the draw"),
    "seed_commitment_mismatch": N_("The seed matches the commitment in the draw's record"),
    "snapshot_digest_mismatch": N_("The pool snapshot is the one the draw was made from"),
    "request_digest_mismatch": N_("The request is the one the draw was made for"),
    "seats_mismatch": N_("Re-running the draw gives the same committee"),
    "reserves_mismatch": N_("Re-running the draw gives the same reserves"),
    "exclusions_mismatch": N_("Re-running the draw gives the same exclusions and reasons"),
    "replacements_mismatch": N_("Re-running the declines gives the same replacements"),
    "rounds_mismatch": N_("Re-running the draw gives the same number of rounds"),
    "shortfall_mismatch": N_("Re-running the draw gives the same reserve shortfall"),
    "rerun_failed": N_("The stored draw can be read and re-run"),
}


def _counts(row: ExpertDraw) -> dict[str, int]:
    """Counts from the stored outcome: cheap enough for a list (``draws.view`` also parses the pool snapshot)."""
    outcome = json.loads(row.outcome)
    return {"seats": len(outcome["seats"]), "reserves": len(outcome["reserves"]), "exclusions": len(outcome["exclusions"]),
            "replacements": len(outcome.get("replacements", []))}


# --- the owner's draw request ------------------------------------------------------------------


def _read_form(data: dict[str, Any]) -> dict[str, Any]:
    rows = [{name: form_text(data, f"spec-{i}-{name}") for name in ("code", "seats", "reserves")} for i in range(MAX_SPECIALTY_ROWS)]
    while rows and not any(rows[-1].values()):
        rows.pop()
    names = ("evaluation_date", "allowed_regions", "lot", *NUMBER_FIELDS)
    return {"rows": rows, **{name: form_text(data, name) for name in names}}


def _to_body(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int], Errors]:
    """The API's body from the form; which form row asked for each specialty; what cannot even be sent."""
    errors: Errors = []
    seats: dict[str, Any] = {}
    reserves: dict[str, Any] = {}
    row_of: dict[str, int] = {}
    for i, row in enumerate(form["rows"]):
        if not any(row.values()):
            continue
        code = row["code"]
        if not code:
            errors.append((f"spec-{i}-code", gettext("Choose one of the options.")))
            continue
        if code in row_of:
            errors.append((f"spec-{i}-code", gettext("This specialty is already on row %(n)s.", n=row_of[code] + 1)))
            continue
        row_of[code] = i
        for name, target in (("seats", seats), ("reserves", reserves)):
            if row[name]:
                if row[name].isdigit():
                    target[code] = int(row[name])
                else:
                    errors.append((f"spec-{i}-{name}", gettext("Enter a whole number.")))
        if not row["seats"]:
            errors.append((f"spec-{i}-seats", gettext("Enter how many experts of this specialty sit on the committee.")))
    if not row_of and not errors:
        errors.append(("spec-0-code", gettext("Ask for experts of at least one specialty.")))
    body: dict[str, Any] = {"seats": seats, "reserves": reserves, "evaluation_date": form["evaluation_date"] or None,
                            "allowed_regions": [r for r in re.split(r"[,，;；\s]+", form["allowed_regions"]) if r]}
    for name in (*NUMBER_FIELDS, "lot"):
        if form[name]:
            if form[name].isdigit():
                body[name] = int(form[name])
            else:
                errors.append((name, gettext("Enter a whole number.")))
    return body, row_of, errors


def _draw_errors(errors: Errors, row_of: dict[str, int]) -> Errors:
    """The service's field paths as the form's fields: ``seats.A01.02`` -> ``spec-1-seats``; the tender's own fields -> the top."""
    shown: Errors = []
    for name, message in errors:
        found = _SPECIALTY_PATH.match(name)
        if found and found.group(2) in row_of:
            name = f"spec-{row_of[found.group(2)]}-{found.group(1)}"
        elif name in ("reserves", "seats") or found:
            name = "seats"
        elif name.startswith("tender."):
            name = ""
        shown.append((name, message))
    return shown


def _field_labels(rows: int) -> dict[str, str]:
    labels = {
        "seats": gettext("Experts per specialty"), "purchaser_representatives": gettext("Purchaser's representatives on the committee"),
        "allowed_regions": gettext("Regions the experts may come from"), "evaluation_date": gettext("Evaluation starts on"),
        "evaluation_days": gettext("Evaluation lasts (days)"), "lot": gettext("Lot"), "minimum_members": gettext("Committee at least (members)"),
    }
    for i in range(rows):
        labels |= {f"spec-{i}-code": gettext("Row %(n)s: specialty", n=i + 1), f"spec-{i}-seats": gettext("Row %(n)s: experts", n=i + 1),
                   f"spec-{i}-reserves": gettext("Row %(n)s: reserves", n=i + 1)}
    return labels


async def _tender_draws(session: AsyncSession, actor: Actor, tender_id: int) -> list[draws.DrawOut]:
    ids = (await session.execute(select(ExpertDraw.id).where(ExpertDraw.tender_id == tender_id).order_by(ExpertDraw.id))).scalars()
    return [await draws.view(session, actor, draw_id) for draw_id in ids]  # counts only: the actor is not a supervisor


async def _request_page(request: Request, session: AsyncSession, actor: Actor, tender: Tender, *, form: dict[str, Any] | None = None,
                        errors: Errors | None = None, done: str = "", status_code: int = 200) -> Template:
    form = form or {"rows": [], "evaluation_date": "", "allowed_regions": "", "lot": "", "purchaser_representatives": "0",
                    "evaluation_days": "1", "minimum_members": ""}
    blank = {"code": "", "seats": "", "reserves": ""}
    rows = [*form["rows"], *(dict(blank) for _ in range(max(MIN_SPECIALTY_ROWS - len(form["rows"]), 1)))][:MAX_SPECIALTY_ROWS]
    return page(
        request, "experts/draw_request.html", status_code=status_code, tender=tender, status=label(STATUS_LABELS, tender.status),
        may_draw=tenders.can_change(actor, tender) and tender.status in draws.DRAW_STATES, runs=tenders.can_change(actor, tender),
        lots=await tenders.lots_of(session, tender.id),  # type: ignore[arg-type]
        specialties=await service.list_specialties(session), made=await _tender_draws(session, actor, tender.id),  # type: ignore[arg-type]
        form=form, rows=rows, errors=errors or [], field_labels=_field_labels(len(rows)), done=done,
    )


class DrawRequestPages(Controller):
    """The organisation running a tender asks for its evaluation committee once bidding closed."""

    tags = ["Pages"]
    guards = [OWNERS]

    @get("/tenders/{tender_id:int}/draws/new",
         summary="Request the expert draw for a tender, and the draws made so far as counts (the organisation running the tender)")
    async def form(self, request: Request, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath,
                   done: Annotated[str, QueryParameter(pattern="^(|drawn)$")] = "") -> Template:
        tender = await tenders.managed_tender(session, actor, tender_id)
        return await _request_page(request, session, actor, tender, done=done)

    @post("/tenders/{tender_id:int}/draws/new", status_code=303, responses=FORM_AGAIN,
          summary="Draw the evaluation committee from the form (as POST /api/tenders/{tender_id}/draws)")
    async def draw(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   tender_id: TenderIdPath) -> Any:
        tender = await tenders.managed_tender(session, actor, tender_id)
        form = _read_form(data)
        body, row_of, errors = _to_body(form)
        if errors:
            return await _request_page(request, session, actor, tender, form=form, errors=errors, status_code=400)
        try:
            made = await draws.make_draw(session, platform, actor, tender_id, draws.DrawIn(**body))
        except ValidationError as exc:
            return await _request_page(request, session, actor, tender, form=form, errors=_draw_errors(errors_of(exc), row_of), status_code=400)
        except (InvalidInput, Conflict) as exc:
            await session.rollback()
            tender = await tenders.managed_tender(session, actor, tender_id)
            return await _request_page(request, session, actor, tender, form=form, errors=_draw_errors(errors_of(exc), row_of),
                                       status_code=409 if isinstance(exc, Conflict) else 400)
        return Redirect(f"/tenders/{tender_id}/draws/new?done=drawn#draw-{made.id}", status_code=303)


# --- the supervisors' monitor ------------------------------------------------------------------


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(Expert.id, Expert.name).where(Expert.id.in_(ids)))).all())  # type: ignore[union-attr,arg-type]


async def _monitor_page(request: Request, session: AsyncSession, actor: Actor, draw_id: int, *, errors: Errors | None = None,
                        done: str = "", status_code: int = 200) -> Template:
    shown = await draws.view(session, actor, draw_id)  # names: the actor is a supervisor (the controller's guard)
    row = await draws.get_draw(session, actor, draw_id)
    outcome = json.loads(row.outcome)
    # ``view`` names the committee, reserves and excluded; a replacement also names who declined.
    replaced = [{"declined": int(r[0]), "replaced_by": int(r[1]), "specialty": r[2], "round": r[3]} for r in outcome.get("replacements", [])]
    names = await _names(session, {r["declined"] for r in replaced} | {r["replaced_by"] for r in replaced})
    tender = await tenders.get_tender(session, actor, row.tender_id)
    return page(
        request, "experts/draw_monitor.html", status_code=status_code, draw=shown, drawn_at=row.created_at, tender=tender, replacements=replaced, names=names,
        shortfall=outcome.get("reserve_shortfall", []), rounds=outcome.get("rounds", 1),
        verification=await draws.verification(session, actor, draw_id),
        reason_labels={code: gettext(text) for code, text in REASON_LABELS.items()},
        check_labels={code: gettext(text) for code, text in CHECK_LABELS.items()}, errors=errors or [], done=done,
    )


class DrawMonitorPages(Controller):
    """Supervisors see every draw with names and reasons, reveal its seed and verify it."""

    tags = ["Pages"]
    guards = [SUPERVISORS]

    @get("/supervision/draws", summary="The draw monitor: every expert draw, with counts and whether its seed is revealed (supervisors)")
    async def monitor(self, request: Request, session: DbSession,
                      page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1) -> Template:
        total = (await session.execute(select(func.count()).select_from(ExpertDraw))).scalar_one()
        found = (await session.execute(
            select(ExpertDraw, Tender.code, Tender.title).join(Tender, Tender.id == ExpertDraw.tender_id)  # type: ignore[arg-type]
            .order_by(ExpertDraw.id.desc()).offset((page_number - 1) * MONITOR_PAGE_SIZE).limit(MONITOR_PAGE_SIZE)  # type: ignore[union-attr]
        )).all()
        listed = [{"id": d.id, "tender_id": d.tender_id, "code": code, "title": title, "lot": d.lot_number, "evaluation_date": d.evaluation_date,
                   "created_at": d.created_at, "revealed": d.revealed_at is not None, **_counts(d)} for d, code, title in found]
        return page(request, "experts/draw_list.html", draws=listed, total=total, page_number=page_number,
                    pages=max(1, -(-total // MONITOR_PAGE_SIZE)))

    @get("/supervision/draws/{draw_id:int}",
         summary="One draw for supervisors: committee, reserves, replacements, exclusions with reasons, commitment, verification")
    async def one(self, request: Request, session: DbSession, actor: CurrentActor, draw_id: DrawId,
                  done: Annotated[str, QueryParameter(pattern="^(|revealed)$")] = "") -> Template:
        return await _monitor_page(request, session, actor, draw_id, done=done)

    @post("/supervision/draws/{draw_id:int}/reveal", status_code=303, responses=FORM_AGAIN,
          summary="Reveal the draw's seed in the audit log, from the monitor (as POST /api/draws/{draw_id}/reveal)")
    async def reveal(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, draw_id: DrawId) -> Any:
        try:
            await draws.reveal(session, platform, actor, draw_id)
        except Conflict as exc:
            await session.rollback()
            return await _monitor_page(request, session, actor, draw_id, errors=errors_of(exc), status_code=409)
        return Redirect(f"/supervision/draws/{draw_id}?done=revealed", status_code=303)
