"""The purchaser's and agency's tender pages, and the trading centre's entry review queue.

Every change goes through the same service functions as the API (``service.create_draft``,
``update_draft``, ``submit``, ``review``, ``publish``, ``amend``): the pages only turn a form
into the API's input and the refusals back into messages next to the fields they name. A
refused form comes back as typed, with an error summary on top linking to the fields; the
transaction is rolled back, so nothing changed.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.clock import DISPLAY_ZONE, as_utc, to_display
from procurement.errors import N_, Conflict, DomainError, FieldError, InvalidInput
from procurement.i18n import gettext
from procurement.identity import service as identity
from procurement.identity.models import OrganisationKind, Role
from procurement.tenders import mall_only, service
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.models import Tender, TenderStatus
from procurement.tenders.money import to_yuan
from procurement.tenders.pages import (
    CATEGORY_LABELS,
    EVALUATION_LABELS,
    METHOD_LABELS,
    ONLINE,
    REGION,
    TRACK_LABELS,
    lot_row,
    row,
    yuan,
)
from procurement.tenders.schemas import (
    AmendmentIn,
    PublishIn,
    ReviewIn,
    TenderDraft,
    TerminateIn,
)
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles
from procurement.web.pages import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Errors = list[tuple[str, str]]
# A refused form comes back as a page (HTML, 400 or 409): say so in the OpenAPI.
FORM_AGAIN = {
    400: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The form again, saying what to correct"),
    409: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The page again: not possible in this state"),
}

# pydantic's messages as they reach the draft form, for the catalogue; ``gettext`` matches
# the filled-in text back to these templates.
PYDANTIC_MESSAGES = (
    N_("Input should be greater than %(gt)s"),
    N_("Input should be greater than or equal to %(ge)s"),
    N_("Input should be a valid decimal"),
    N_("Decimal input should have no more than %(decimal_places)s decimal places"),
    N_("Decimal input should have no more than %(max_digits)s digits in total"),
)
TIME_FIELDS = ("documents_from", "documents_until", "questions_until", "bid_deadline")
TEXT_FIELDS = ("title", "track", "category", "method", "region", "budget", "mall_category", "opening_place", "release_minutes",
               "max_bid_mib", "contact_name", "contact_phone",
               "qualifications", "purchaser_organisation_id")
LOT_FIELDS = ("title", "budget", "bid_security")
MIN_LOT_ROWS = 3
MAX_LOT_ROWS = 50
EXTRA_ROWS = 3
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# The states the owner may end a tender in (service.TRANSITIONS): a submitted one is first returned or accepted.
TERMINABLE = frozenset(state for state, following in service.TRANSITIONS.items() if TenderStatus.terminated in following)  # what <input type="datetime-local"> sends and shows
_LOT_PATH = re.compile(r"^lots\[(\d+)\]\.(\w+)$")


# --- The draft form ---------------------------------------------------------------------------


@dataclass
class DraftForm:
    """The draft form as the user typed it (or as the tender stands), with the lot rows shown."""

    values: dict[str, str] = field(default_factory=dict)
    lots: list[dict[str, str]] = field(default_factory=list)
    green_channel: bool = False
    idempotency_key: str = ""

    def padded(self, extra: int = 0) -> list[dict[str, str]]:
        """The lot rows to show: those filled in and enough blank ones to add more."""
        wanted = min(MAX_LOT_ROWS, max(MIN_LOT_ROWS, len(self.lots) + 1) + extra)
        blank = {"title": "", "budget": "", "bid_security": "", "evaluation_method": "comprehensive_scoring"}
        return [*self.lots, *({**blank} for _ in range(max(0, wanted - len(self.lots))))]


def _money(text: str) -> str:
    """Thousands separators are how people write amounts; the API's decimal has none."""
    return re.sub(r"[,，\s]", "", text)


def read_form(data: dict[str, Any]) -> DraftForm:
    def text(name: str) -> str:
        value = data.get(name, "")
        return str(value[-1] if isinstance(value, list) else value).strip()

    form = DraftForm(
        values={name: text(name) for name in (*TEXT_FIELDS, *TIME_FIELDS)},
        green_channel=bool(text("green_channel")),
        idempotency_key=text("idempotency_key")[:64],
    )
    for index in range(MAX_LOT_ROWS):
        cells = {name: text(f"lots-{index}-{name}") for name in LOT_FIELDS}
        cells["evaluation_method"] = text(f"lots-{index}-evaluation_method") or "comprehensive_scoring"
        form.lots.append(cells)
    while form.lots and not any(form.lots[-1][name] for name in LOT_FIELDS):
        form.lots.pop()  # trailing blank rows; blank rows in between stay where the user left them
    return form


def form_of(tender: Tender, lots: list[Any]) -> DraftForm:
    def local(moment: datetime | None) -> str:
        return to_display(moment).strftime(LOCAL_FORMAT) if moment else ""

    values = {
        "title": tender.title, "track": tender.track, "category": tender.category, "method": tender.method,
        "region": tender.region, "budget": str(to_yuan(tender.budget_fen)), "mall_category": tender.mall_category or "",
        "opening_place": tender.opening_place,
        "release_minutes": str(tender.release_minutes), "max_bid_mib": str(tender.max_bid_mib or ""),
        "contact_name": tender.contact_name, "contact_phone": tender.contact_phone, "qualifications": tender.qualifications,
        "purchaser_organisation_id": str(tender.purchaser_organisation_id),
        **{name: local(getattr(tender, name)) for name in TIME_FIELDS},
    }
    rows = [
        {"title": lot.title, "budget": str(to_yuan(lot.budget_fen)), "bid_security": str(to_yuan(lot.bid_security_fen)),
         "evaluation_method": lot.evaluation_method}
        for lot in lots
    ]
    return DraftForm(values=values, lots=rows, green_channel=tender.green_channel)


def form_field(path: str, rows: list[int]) -> str:
    """The form field an API field path names: ``body.lots[0].bid_security`` -> ``lots-2-bid_security``
    when the first lot filled in is the form's third row; ``body.timeline.bid_deadline`` -> ``bid_deadline``."""
    path = path.removeprefix("body.").removeprefix("timeline.")
    lot = _LOT_PATH.match(path)
    if lot:
        index = int(lot.group(1))
        return f"lots-{rows[index] if index < len(rows) else index}-{lot.group(2)}"
    return path


def _pydantic_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def errors_of(exc: DomainError | ValidationError, rows: list[int] | None = None) -> Errors:
    """Refusals as (form field, message in the page's language)."""
    rows = rows or []
    if isinstance(exc, ValidationError):
        return [(form_field(_pydantic_path(e["loc"]), rows), gettext(str(e["msg"]).removeprefix("Value error, "))) for e in exc.errors()]
    if exc.errors:
        return [(form_field(e.field, rows), e.shown(gettext)) for e in exc.errors]
    return [("", gettext(exc.template, **exc.params))]


def parse_local(text: str) -> datetime:
    """A time typed in Beijing time (the form's datetime-local) as an aware datetime."""
    return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=DISPLAY_ZONE)


def to_draft(form: DraftForm, actor: Actor) -> tuple[TenderDraft, list[int]]:
    """The API's input from the form, and which form row each lot came from; raises ``FormRefused``."""
    errors: Errors = []
    values = form.values
    timeline: dict[str, Any] = {"opening_place": values["opening_place"] or "online"}
    for name in ("release_minutes", "max_bid_mib"):  # whole numbers; blank keeps the default
        if values[name].strip():
            if values[name].strip().isdigit():
                timeline[name] = int(values[name])
            else:
                errors.append((name, gettext("Enter a whole number.")))
    for name in TIME_FIELDS:
        if values[name]:
            try:
                timeline[name] = parse_local(values[name])
            except ValueError:
                errors.append((name, gettext("Enter a date and time, such as 2026-03-01 09:00.")))
    if values["region"] and not REGION.match(values["region"]):  # pydantic would quote its pattern
        errors.append(("region", gettext("Enter a region code of 6 digits, such as 460100.")))
    rows = [i for i, lot in enumerate(form.lots) if any(lot[name] for name in LOT_FIELDS)]
    if not rows:
        errors.append(("lots-0-title", gettext("Enter at least one lot: its title and budget.")))
    body: dict[str, Any] = {
        **{name: values[name] for name in ("title", "track", "category", "method", "region", "contact_name", "contact_phone", "qualifications")},
        "budget": _money(values["budget"]),
        "mall_category": values["mall_category"] or None,
        "green_channel": form.green_channel,
        "lots": [
            {"title": form.lots[i]["title"], "budget": _money(form.lots[i]["budget"]),
             "bid_security": _money(form.lots[i]["bid_security"]) or "0", "evaluation_method": form.lots[i]["evaluation_method"]}
            for i in rows
        ],
        "timeline": timeline,
    }
    if actor.organisation_kind != OrganisationKind.purchaser or values["purchaser_organisation_id"]:
        chosen = values["purchaser_organisation_id"]
        if chosen and not chosen.isdigit():
            errors.append(("purchaser_organisation_id", gettext("Choose one of the options.")))
        elif chosen:
            body["purchaser_organisation_id"] = int(chosen)
    try:
        draft = TenderDraft(**body)
    except ValidationError as exc:
        already = {name for name, _ in errors}
        errors += [(name, message) for name, message in errors_of(exc, rows) if name not in already and name != "lots"]
        raise FormRefused(errors) from exc
    if errors:
        raise FormRefused(errors)
    return draft, rows


class FormRefused(Exception):
    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(message for _, message in errors))
        self.errors = errors


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, gettext(message)) for code, message in labels.items()]


def draft_labels(rows: int) -> dict[str, str]:
    """The form's field labels, for the error summary's links."""
    labels = {
        "title": gettext("Project title"), "track": gettext("Track"), "category": gettext("Category"),
        "method": gettext("Procurement method"), "region": gettext("Region code"), "budget": gettext("Budget (yuan)"),
        "mall_category": gettext("Mall catalogue category"),
        "purchaser_organisation_id": gettext("Purchaser"), "green_channel": gettext("Green channel (key project)"),
        "documents_from": gettext("Documents on offer from"), "documents_until": gettext("Documents on offer until"),
        "questions_until": gettext("Questions until"), "bid_deadline": gettext("Bid deadline and opening"),
        "opening_place": gettext("Opening place"), "release_minutes": gettext("Decryption window at the opening (minutes)"),
        "max_bid_mib": gettext("Largest bid accepted (MiB)"), "contact_name": gettext("Contact person"),
        "contact_phone": gettext("Contact telephone"), "qualifications": gettext("Qualifications of bidders"),
        "timeline": gettext("Timeline"), "lots": gettext("Lots"),
    }
    for i in range(rows):
        labels[f"lots-{i}-title"] = gettext("Lot %(n)s: title", n=i + 1)
        labels[f"lots-{i}-budget"] = gettext("Lot %(n)s: budget (yuan)", n=i + 1)
        labels[f"lots-{i}-bid_security"] = gettext("Lot %(n)s: bid security (yuan)", n=i + 1)
        labels[f"lots-{i}-evaluation_method"] = gettext("Lot %(n)s: evaluation method", n=i + 1)
    return labels


async def _purchasers(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    if actor.organisation_kind == OrganisationKind.purchaser:
        return []
    return [(str(org.id), org.name) for org in await identity.list_organisations(session, OrganisationKind.purchaser)]


FORM_ORDER = ("", "title", "track", "category", "method", "region", "budget", "mall_category", "purchaser_organisation_id", "green_channel", "lots",
              "timeline", *TIME_FIELDS[:3], "bid_deadline", "opening_place", "release_minutes", "max_bid_mib", "contact_name",
              "contact_phone", "qualifications")


def _in_form_order(errors: Errors) -> Errors:
    """The summary lists the mistakes in the order the form asks for the fields."""

    def position(item: tuple[str, str]) -> tuple[int, int, int]:
        name = item[0]
        lot = re.match(r"^lots-(\d+)-(\w+)$", name)
        if lot:
            return FORM_ORDER.index("lots"), int(lot.group(1)), LOT_FIELDS.index(lot.group(2)) if lot.group(2) in LOT_FIELDS else 9
        return (FORM_ORDER.index(name) if name in FORM_ORDER else len(FORM_ORDER)), 0, 0

    return sorted(errors, key=position)


async def _draft_page(
    request: Request, session: AsyncSession, actor: Actor, form: DraftForm, *, tender: Tender | None,
    errors: Errors | None = None, extra_rows: int = 0, status_code: int = 200,
) -> Template:
    rows = form.padded(extra_rows)
    return page(
        request,
        "tenders/manage/form.html",
        status_code=status_code,
        tender=tender,
        action=f"/manage/tenders/{tender.id}/edit" if tender else "/manage/tenders/new",
        form=form,
        lots=rows,
        max_rows=MAX_LOT_ROWS,
        errors=_in_form_order(errors or []),
        field_labels=draft_labels(len(rows)),
        track_options=_options(TRACK_LABELS),
        category_options=_options(CATEGORY_LABELS),
        method_options=_options(METHOD_LABELS),
        evaluation_options=_options(EVALUATION_LABELS),
        mall_category_options=await mall_only.category_options(session),
        purchasers=await _purchasers(session, actor),
    )


# --- The manage page of one tender --------------------------------------------------------------


def duration(seconds: int) -> str:
    hours, minutes = divmod(max(0, seconds) // 60, 60)
    return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)


def next_action(tender: Tender, *, may_change: bool) -> str:
    """What happens next, in words, for the list and the tender's page."""
    status = TenderStatus(tender.status)
    if status == TenderStatus.draft:
        return gettext("Complete the draft and submit it for entry review") if may_change else gettext("Being prepared by the agency")
    if status == TenderStatus.submitted:
        return gettext("Waiting for the trading centre's entry review (within 24 hours)")
    if status == TenderStatus.accepted:
        if tender.publish_at:
            return gettext("Publication scheduled for %(time)s", time=to_display(tender.publish_at).strftime("%Y-%m-%d %H:%M"))
        return gettext("Publish the notice") if may_change else gettext("Waiting for the agency to publish")
    if status == TenderStatus.published:
        return gettext("Open for bids; clarify or amend if needed")
    return gettext("Nothing to do here")


def review_view(review: Any, method: str) -> dict[str, Any]:
    checklist = json.loads(review.checklist)
    return {
        "decision": review.decision,
        "reason": review.reason,
        "decided_at": review.decided_at,
        "elapsed": duration(review.elapsed_seconds),
        "within_target": review.elapsed_seconds <= service.ENTRY_TARGET_SECONDS,
        "checklist": [(gettext(item), bool(checklist.get(item))) for item in service.CHECKLISTS.get(method, checklist)],
    }


async def _tender_page(
    request: Request, session: AsyncSession, actor: Actor, tender: Tender, *, errors: Errors | None = None,
    values: dict[str, str] | None = None, done: str = "", amended: int | None = None, status_code: int = 200,
) -> Template:
    tender_id: int = tender.id  # type: ignore[assignment]
    may_change = service.can_change(actor, tender)
    amendments = await service.amendments_of(session, tender_id)
    shown_amendment = next((a for a in amendments if a.number == amended), None)
    names = await service.organisation_names(
        session, {tender.purchaser_organisation_id} | ({tender.agency_organisation_id} if tender.agency_organisation_id else set())
    )
    on_page = {"publish_at", "summary", "reason"}
    return page(
        request,
        "tenders/manage/tender.html",
        status_code=status_code,
        tender=tender,
        info=row(tender),
        may_change=may_change,
        next_action=next_action(tender, may_change=may_change),
        lots=[lot_row(lot) for lot in await service.lots_of(session, tender_id)],
        reviews=[review_view(r, tender.method) for r in await service.reviews_of(session, tender_id)],
        amendments=[
            {"number": a.number, "amended_at": a.amended_at, "summary": a.summary,
             "moved": as_utc(a.deadline_after) != as_utc(a.deadline_before), "deadline_before": a.deadline_before,
             "deadline_after": a.deadline_after}
            for a in amendments
        ],
        shown_amendment=shown_amendment,
        shown_moved=bool(shown_amendment and as_utc(shown_amendment.deadline_after) != as_utc(shown_amendment.deadline_before)),
        opening_place=gettext(ONLINE) if tender.opening_place == "online" else tender.opening_place,
        purchaser_name=names.get(tender.purchaser_organisation_id, ""),
        agency_name=names.get(tender.agency_organisation_id or 0, ""),
        # Public once published: a draft or accepted tender that was terminated never was.
        public=tender.status in service.PUBLIC_STATES and tender.published_at is not None,
        may_terminate=may_change and tender.status in TERMINABLE,
        errors=errors or [],
        # Errors about fields of the draft link to them on the edit page (a draft can be edited).
        error_links={
            name: (f"#{name}" if name in on_page else f"/manage/tenders/{tender_id}/edit#{name}" if tender.status == TenderStatus.draft else "")
            for name, _ in errors or []
        },
        field_labels={**draft_labels(MAX_LOT_ROWS), "publish_at": gettext("Publish at"), "summary": gettext("What is clarified or amended"),
                      "reason": gettext("Reason for terminating")},
        values=values or {},
        done=done,
    )


# --- Controllers ----------------------------------------------------------------------------------


class TenderManagePages(Controller):
    """Purchasers and agencies: their tenders from draft to publication and amendments."""

    tags = ["Pages"]
    guards = [requires_roles(Role.purchaser, Role.agency)]

    @get("/manage/tenders", summary="My organisation's tenders in every state, with what to do next")
    async def mine(self, request: Request, session: DbSession, actor: CurrentActor) -> Template:
        tenders = await service.tenders_of(session, actor)
        return page(
            request,
            "tenders/manage/list.html",
            tenders=[
                {**row(t), "green_channel": t.green_channel, "updated_at": t.updated_at, "status_code": t.status,
                 "next_action": next_action(t, may_change=service.can_change(actor, t))}
                for t in tenders
            ],
        )

    @get("/manage/tenders/new", summary="The form for a new tender draft")
    async def new(self, request: Request, session: DbSession, actor: CurrentActor) -> Template:
        form = DraftForm(values={"track": "works", "category": "works", "method": "open", "opening_place": "online", "release_minutes": "30"},
                         idempotency_key=secrets.token_urlsafe(18))
        return await _draft_page(request, session, actor, form, tender=None)

    @post("/manage/tenders/new", summary="Create a tender draft from the form", status_code=303, responses=FORM_AGAIN)
    async def create(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        form = read_form(data)
        if data.get("more_rows"):
            return await _draft_page(request, session, actor, form, tender=None, extra_rows=EXTRA_ROWS)
        rows: list[int] = []
        try:
            draft, rows = to_draft(form, actor)
            tender, _ = await service.create_draft(session, platform, actor, draft, form.idempotency_key or None)
        except FormRefused as exc:
            return await _draft_page(request, session, actor, form, tender=None, errors=exc.errors, status_code=400)
        except InvalidInput as exc:
            await session.rollback()
            return await _draft_page(request, session, actor, form, tender=None, errors=errors_of(exc, rows), status_code=400)
        return Redirect(f"/manage/tenders/{tender.id}?done=created", status_code=303)

    @get("/manage/tenders/{tender_id:int}", summary="One of my organisation's tenders: status, entry review, what can be done now")
    async def one(
        self, request: Request, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath,
        done: str = "", amended: int | None = None,
    ) -> Template:
        tender = await service.managed_tender(session, actor, tender_id)
        return await _tender_page(request, session, actor, tender, done=done[:20], amended=amended)

    @get("/manage/tenders/{tender_id:int}/edit", summary="The form to edit a draft")
    async def edit_form(self, request: Request, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> Any:
        tender = await service.managed_tender(session, actor, tender_id)
        if not service.can_change(actor, tender) or tender.status != TenderStatus.draft:
            return Redirect(f"/manage/tenders/{tender_id}", status_code=303)
        form = form_of(tender, await service.lots_of(session, tender_id))
        return await _draft_page(request, session, actor, form, tender=tender)

    @post("/manage/tenders/{tender_id:int}/edit", summary="Save a draft from the form", status_code=303, responses=FORM_AGAIN)
    async def edit(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Any:
        tender = await service.managed_tender(session, actor, tender_id)
        form = read_form(data)
        if data.get("more_rows"):
            return await _draft_page(request, session, actor, form, tender=tender, extra_rows=EXTRA_ROWS)
        rows: list[int] = []
        try:
            draft, rows = to_draft(form, actor)
            await service.update_draft(session, platform, actor, tender_id, draft)
        except FormRefused as exc:
            return await _draft_page(request, session, actor, form, tender=tender, errors=exc.errors, status_code=400)
        except (InvalidInput, Conflict) as exc:
            await session.rollback()
            tender = await service.managed_tender(session, actor, tender_id)
            return await _draft_page(request, session, actor, form, tender=tender, errors=errors_of(exc, rows), status_code=400)
        return Redirect(f"/manage/tenders/{tender_id}?done=saved", status_code=303)

    async def _change(self, request: Request, session: AsyncSession, actor: Actor, tender_id: int, exc: DomainError,
                      values: dict[str, str] | None = None) -> Template:
        """The tender's page again, saying why the change was refused (nothing was changed)."""
        await session.rollback()
        tender = await service.managed_tender(session, actor, tender_id)
        status = 409 if isinstance(exc, Conflict) else 400
        return await _tender_page(request, session, actor, tender, errors=errors_of(exc), values=values, status_code=status)

    @post("/manage/tenders/{tender_id:int}/submit", summary="Submit a draft for entry review from its page", status_code=303,
          responses=FORM_AGAIN)
    async def submit(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> Any:
        try:
            await service.submit(session, platform, actor, tender_id)
        except (InvalidInput, Conflict) as exc:
            return await self._change(request, session, actor, tender_id, exc)
        return Redirect(f"/manage/tenders/{tender_id}?done=submitted", status_code=303)

    @post("/manage/tenders/{tender_id:int}/publish", summary="Publish an accepted tender now, or at a chosen time, from its page",
          status_code=303, responses=FORM_AGAIN)
    async def publish(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Any:
        when = str(data.get("publish_at", "")).strip()
        values = {"publish_at": when}
        try:
            if data.get("when") == "later" and not when:
                raise InvalidInput.for_field("body.publish_at", N_("choose the time to publish at"))
            try:
                at = parse_local(when) if data.get("when") == "later" else None
            except ValueError as exc:
                raise InvalidInput.for_field("body.publish_at", N_("Enter a date and time, such as 2026-03-01 09:00.")) from exc
            tender = await service.publish(session, platform, actor, tender_id, PublishIn(publish_at=at))
        except (InvalidInput, Conflict) as exc:
            return await self._change(request, session, actor, tender_id, exc, values)
        done = "published" if tender.status == TenderStatus.published else "scheduled"
        return Redirect(f"/manage/tenders/{tender_id}?done={done}", status_code=303)

    @post("/manage/tenders/{tender_id:int}/amend", summary="Clarify or amend a published tender from its page", status_code=303,
          responses=FORM_AGAIN)
    async def amend(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Any:
        values = {"summary": str(data.get("summary", "")).strip()}
        try:
            try:
                amendment_in = AmendmentIn(summary=values["summary"])
            except ValidationError as exc:
                raise InvalidInput.for_errors(
                    [FieldError("body.summary", str(e["msg"]), ()) for e in exc.errors()]
                ) from exc
            amendment = await service.amend(session, platform, actor, tender_id, amendment_in.summary)
        except (InvalidInput, Conflict) as exc:
            return await self._change(request, session, actor, tender_id, exc, values)
        return Redirect(f"/manage/tenders/{tender_id}?done=amended&amended={amendment.number}", status_code=303)

    @post("/manage/tenders/{tender_id:int}/terminate", summary="Terminate a tender with a reason from its page (终止)", status_code=303,
          description="As POST /api/tenders/{tender_id}/terminate: a published tender gets a termination notice.", responses=FORM_AGAIN)
    async def terminate(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Any:
        values = {"reason": str(data.get("reason", "")).strip()}
        try:
            try:
                terminate_in = TerminateIn(reason=values["reason"])
            except ValidationError as exc:
                raise InvalidInput.for_errors(
                    [FieldError("body.reason", str(e["msg"]), ()) for e in exc.errors()]
                ) from exc
            await service.terminate(session, platform, actor, tender_id, terminate_in.reason)
        except (InvalidInput, Conflict) as exc:
            return await self._change(request, session, actor, tender_id, exc, values)
        return Redirect(f"/manage/tenders/{tender_id}?done=terminated", status_code=303)


async def _mall_standing(session: AsyncSession, platform: Any, tender: Tender) -> dict[str, Any] | None:
    """The tender's catalogue category as the reviewer sees it: name, and whether its region buys it in the mall."""
    if not tender.mall_category:
        return None
    found = await mall_only.standing(session, platform.settings, code=tender.mall_category,
                                     purchaser_organisation_id=tender.purchaser_organisation_id)
    if found is None:
        return None
    return {"code": found.code, "name": found.name, "listed": found.listed, "region": found.region,
            "limit": yuan(found.tender_threshold_fen)}


class ReviewQueuePages(Controller):
    """The trading centre's entry review (进场): the queue and one tender's checklist."""

    tags = ["Pages"]

    @get("/review-queue", summary="Tenders waiting for entry review: green channel first, the 24-hour clock",
         guards=[requires_roles(Role.operator, Role.supervisor)])
    async def queue(
        self, request: Request, session: DbSession, platform: PlatformDep, decided: int | None = None, decision: str = ""
    ) -> Template:
        now = platform.clock.now()
        items = []
        tenders = await service.review_queue(session)
        names = await service.organisation_names(session, {t.purchaser_organisation_id for t in tenders})
        categories = await mall_only.category_labels(session) if any(t.mall_category for t in tenders) else {}
        for tender in tenders:
            waiting = int((now - as_utc(tender.submitted_at or now)).total_seconds())
            items.append({
                **row(tender), "green_channel": tender.green_channel, "submitted_at": tender.submitted_at,
                "waiting": duration(waiting), "left": duration(service.ENTRY_TARGET_SECONDS - waiting),
                "overdue": waiting > service.ENTRY_TARGET_SECONDS,
                "purchaser": names.get(tender.purchaser_organisation_id, ""),
                "mall_category": categories.get(tender.mall_category, tender.mall_category) if tender.mall_category else "",
            })
        return page(request, "tenders/manage/queue.html", items=items, decided=decided, decision=decision[:10])

    @get("/review-queue/{tender_id:int}", summary="One submitted tender with its checklist of required materials",
         guards=[requires_roles(Role.operator, Role.supervisor)])
    async def one(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> Template:
        tender = await service.get_tender(session, actor, tender_id)
        return await self._render(request, session, platform, actor, tender)

    async def _render(self, request: Request, session: AsyncSession, platform: Any, actor: Actor, tender: Tender, *,
                      errors: Errors | None = None, checked: set[int] | None = None, reason: str = "", status_code: int = 200) -> Template:
        now = platform.clock.now()
        waiting = int((now - as_utc(tender.submitted_at or now)).total_seconds()) if tender.status == TenderStatus.submitted else 0
        names = await service.organisation_names(
            session, {tender.purchaser_organisation_id} | ({tender.agency_organisation_id} if tender.agency_organisation_id else set())
        )
        return page(
            request,
            "tenders/manage/review.html",
            status_code=status_code,
            tender=tender,
            info=row(tender),
            lots=[lot_row(lot) for lot in await service.lots_of(session, tender.id)],  # type: ignore[arg-type]
            checklist=[(i, gettext(item)) for i, item in enumerate(service.CHECKLISTS[tender.method])],
            checked=checked or set(),
            reason=reason,
            may_decide=actor.has(Role.operator) and tender.status == TenderStatus.submitted,
            waiting=duration(waiting),
            left=duration(service.ENTRY_TARGET_SECONDS - waiting),
            overdue=waiting > service.ENTRY_TARGET_SECONDS,
            reviews=[review_view(r, tender.method) for r in await service.reviews_of(session, tender.id)],  # type: ignore[arg-type]
            opening_place=gettext(ONLINE) if tender.opening_place == "online" else tender.opening_place,
            purchaser_name=names.get(tender.purchaser_organisation_id, ""),
            agency_name=names.get(tender.agency_organisation_id or 0, ""),
            mall=await _mall_standing(session, platform, tender),
            errors=errors or [],
            field_labels={"checklist": gettext("Materials provided"), "reason": gettext("Reason"), "decision": gettext("Decision")},
        )

    @post("/review-queue/{tender_id:int}", summary="Accept or return a submitted tender against its checklist", status_code=303,
          guards=[requires_roles(Role.operator)], responses=FORM_AGAIN)
    async def decide(
        self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath
    ) -> Any:
        tender = await service.get_tender(session, actor, tender_id)
        required = service.CHECKLISTS[tender.method]
        checked = {i for i in range(len(required)) if data.get(f"check-{i}")}
        reason = str(data.get("reason", "")).strip()
        try:
            try:
                review_in = ReviewIn(
                    decision=str(data.get("decision", "")), reason=reason,
                    checklist={item: i in checked for i, item in enumerate(required)},
                )
            except ValidationError as exc:
                raise InvalidInput.for_errors(
                    [FieldError("body." + _pydantic_path(e["loc"]), str(e["msg"]), ()) for e in exc.errors()]
                ) from exc
            await service.review(session, platform, actor, tender_id, review_in)
        except (InvalidInput, Conflict) as exc:
            await session.rollback()
            tender = await service.get_tender(session, actor, tender_id)
            status = 409 if isinstance(exc, Conflict) else 400
            return await self._render(request, session, platform, actor, tender, errors=errors_of(exc), checked=checked, reason=reason,
                                      status_code=status)
        return Redirect(f"/review-queue?decided={tender_id}&decision={review_in.decision}", status_code=303)
