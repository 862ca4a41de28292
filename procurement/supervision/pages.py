"""The supervisors' console: tenders and their histories, alerts with their evidence, the forms to work on them,
and a tender's report as a PDF for the supervision platform."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.models import Bid
from procurement.actor import Actor
from procurement.clock import to_display
from procurement.documents import PdfRenderer
from procurement.errors import N_, Conflict, DomainError, InvalidInput
from procurement.i18n import gettext, language_var
from procurement.identity.models import Organisation
from procurement.mall.order_pages import ORDER_LABELS
from procurement.supervision import rules, service
from procurement.supervision.controllers import SUPERVISORS, AlertId
from procurement.supervision.models import AlertState, RiskAlert
from procurement.tenders import notices
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.tenders.models import Notice, NoticeKind
from procurement.tenders.pages import STATUS_LABELS, label, yuan
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

STATE_LABELS = {
    AlertState.new: N_("New"),
    AlertState.under_review: N_("Under review"),
    AlertState.closed: N_("Closed"),
}
# Column headings of the evidence tables.
COLUMNS = {
    "organisation": N_("Bidder"), "lot": N_("Lot"), "version": N_("Version"), "status": N_("Status"),
    "upload_started_at": N_("Upload started"), "submitted_at": N_("Completed"), "client_ip": N_("Network address"),
    "client_fingerprint": N_("Client fingerprint"), "name": N_("File"), "price": N_("Price (yuan)"), "code": N_("Project code"),
    "title": N_("Title"), "bid_deadline": N_("Bid deadline"), "earliest_lawful_day": N_("Earliest lawful deadline"),
    "method": N_("Method"), "budget_yuan": N_("Budget (yuan)"), "published_at": N_("Published"),
    "specialty": N_("Specialty"), "evaluation_date": N_("Evaluation day"), "drawn_at": N_("Drawn"), "purchaser": N_("Purchaser"),
    "winner": N_("Winner"), "bidders": N_("Bidders"), "awarded_at": N_("Awarded"), "brand": N_("Brand"), "model": N_("Model"),
    "quantity": N_("Quantity"), "unit_price_yuan": N_("Unit price (yuan)"), "reference_yuan": N_("E-commerce average (yuan)"),
    "times_reference": N_("Times the average"),
}
_TIMES = {"upload_started_at", "submitted_at", "bid_deadline", "published_at", "drawn_at", "awarded_at", "placed_at", "since", "due", "checked_at"}


def _shown(value: Any, column: str) -> str:
    if value is None:
        return ""
    if column in _TIMES and isinstance(value, str):
        return to_display(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> dict[str, Any]:
    return {"columns": [gettext(COLUMNS[c]) for c in columns], "rows": [[_shown(row.get(c), c) for c in columns] for row in rows]}


def _order_facts(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """What every mall alert shows first: the order as the rule saw it."""
    return [(gettext("Purchaser"), evidence["purchaser"]), (gettext("Supplier"), evidence["supplier"]),
            (gettext("Order status when checked"), label(ORDER_LABELS, evidence["status"])), (gettext("Order total (yuan)"), evidence["total_yuan"]),
            (gettext("Placed"), _shown(evidence["placed_at"], "placed_at"))]


def evidence_view(alert: RiskAlert) -> dict[str, Any]:
    """What the rule saw, as facts (label, value) and a table, in the reader's language."""
    evidence = json.loads(alert.evidence)
    facts: list[tuple[str, str]] = []
    table: dict[str, Any] = {"columns": [], "rows": []}
    if alert.rule == "same_address":
        kind = gettext("Network address") if evidence["kind"] == "address" else gettext("Client fingerprint")
        facts = [(kind, evidence["value"]), (gettext("Lots"), ", ".join(str(n) for n in evidence["lots"]))]
        table = _table(evidence["bids"], ("organisation", "lot", "version", "status", "upload_started_at", "submitted_at", "client_ip",
                                          "client_fingerprint"))
    elif alert.rule == "signed_together":
        facts = [(gettext("Lot"), str(evidence["lot"])), (gettext("Window (seconds)"), evidence["seconds"]),
                 (gettext("Completed within (seconds)"), str(evidence["span_seconds"]))]
        table = _table(evidence["bids"], ("organisation", "version", "status", "submitted_at", "client_ip"))
    elif alert.rule == "identical_documents":
        facts = [(gettext("Lot"), str(evidence["lot"])), (gettext("File digest"), evidence["digest"]), (gettext("Size (bytes)"), str(evidence["size"]))]
        table = _table(evidence["files"], ("organisation", "name"))
    elif alert.rule == "price_pattern":
        pattern = gettext("Fixed gaps between prices") if evidence["pattern"] == "fixed_gap" else gettext("All prices within a tiny spread")
        facts = [(gettext("Lot"), str(evidence["lot"])), (gettext("Pattern"), pattern), (gettext("Gaps (yuan)"), ", ".join(evidence["gaps"])),
                 (gettext("Spread"), str(evidence.get("spread") or ""))]
        table = _table(evidence["prices"], ("organisation", "price"))
    elif alert.rule == "minimum_deadline_single_bidder":
        facts = [(gettext("Purchaser"), evidence["purchaser"]), (gettext("Within (months)"), str(evidence["months"])),
                 (gettext("Tenders needed to raise it"), str(evidence["needed"]))]
        table = _table(evidence["tenders"], ("code", "title", "bid_deadline", "earliest_lawful_day"))
    elif alert.rule == "split_purchases":
        facts = [(gettext("Purchaser"), evidence["purchaser"]), (gettext("Year"), str(evidence["year"])),
                 (gettext("Threshold (yuan)"), evidence["threshold_yuan"]), (gettext("Total below it (yuan)"), evidence["total_yuan"])]
        table = _table(evidence["tenders"], ("code", "title", "method", "budget_yuan", "published_at"))
    elif alert.rule == "expert_frequency":
        facts = [(gettext("Purchaser"), evidence["purchaser"]), (gettext("Expert"), evidence["expert"]), (gettext("Seats"), str(evidence["seats"])),
                 (gettext("Most seats allowed"), str(evidence["max_seats"])), (gettext("Within (days)"), str(evidence["window_days"]))]
        table = _table(evidence["draws"], ("code", "title", "lot", "specialty", "evaluation_date", "drawn_at"))
    elif alert.rule == "rotating_winners":
        facts = [(gettext("Region"), evidence["region"]), (gettext("Within (days)"), str(evidence["window_days"])),
                 (gettext("Wins in the group"), "、".join(f"{g['organisation']} ({g['wins']})" for g in evidence["group"])),
                 (gettext("Purchasers"), "、".join(evidence["purchasers"]))]
        table = _table(evidence["lots"], ("code", "title", "lot", "purchaser", "bidders", "winner", "awarded_at"))
    elif alert.rule == "mall_price_above_reference":
        facts = [*_order_facts(evidence), (gettext("Most allowed (times the average)"), evidence["ratio"])]
        table = _table(evidence["items"], ("name", "brand", "model", "quantity", "unit_price_yuan", "reference_yuan", "times_reference"))
    elif alert.rule in ("mall_late_acceptance", "mall_late_settlement"):
        since = gettext("Shipped") if alert.rule == "mall_late_acceptance" else gettext("Accepted")
        facts = [*_order_facts(evidence), (since, _shown(evidence["since"], "since")), (gettext("Due by"), _shown(evidence["due"], "due")),
                 (gettext("Days allowed"), str(evidence["days"])), (gettext("Days late when checked"), str(evidence["days_late"]))]
    return {"facts": facts, "table": table, "order_id": evidence.get("order_id"),
            "raw": json.dumps(evidence, ensure_ascii=False, indent=2, sort_keys=True)}


def alert_row(alert: RiskAlert) -> dict[str, Any]:
    return {"id": alert.id, "rule": label(rules.RULE_LABELS, alert.rule), "rule_code": alert.rule, "tender_id": alert.tender_id,
            "lot": alert.lot_number, "state": label(STATE_LABELS, alert.state), "state_code": alert.state, "raised_at": alert.raised_at}


async def _user_names(session: AsyncSession, alert: RiskAlert) -> dict[int, str]:
    from procurement.identity.models import User

    ids = {i for i in (alert.reviewer_id, alert.closed_by) if i}
    if not ids:
        return {}
    return dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))).all())  # type: ignore[arg-type]


async def _alert_page(request: Request, session: AsyncSession, actor: Actor, alert_id: int, *, errors: list[tuple[str, str]] | None = None,
                      values: dict[str, str] | None = None, done: str = "", status_code: int = 200) -> Template:
    found = await service.alert(session, actor, alert_id)
    organisations = dict((await session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(json.loads(found.organisation_ids) or [0]))
    )).all())
    return page(request, "supervision/alert.html", status_code=status_code, alert=found, row=alert_row(found), evidence=evidence_view(found),
                organisations=organisations, users=await _user_names(session, found), errors=errors or [], values=values or {}, done=done)


class SupervisionPages(Controller):
    tags = ["Pages"]
    guards = [SUPERVISORS]

    @get("/supervision", summary="The supervisors' console: tenders, alerts, opening records, links to the audit log and the blacklist")
    async def console(self, request: Request, session: DbSession, actor: CurrentActor,
                      alert_state: Annotated[str, QueryParameter(name="state", pattern="^(|new|under_review|closed)$")] = "") -> Template:
        found, total = await service.alerts(session, actor, service.AlertFilter(state=alert_state or None, limit=100))
        tenders = [{"id": t.id, "code": t.code, "title": t.title, "status": label(STATUS_LABELS, t.status), "budget": yuan(t.budget_fen),
                    "deadline": t.bid_deadline, "open_alerts": n} for t, n in await service.tenders_overview(session, actor)]
        openings = list((await session.execute(
            select(Notice).where(Notice.kind == NoticeKind.opening).order_by(Notice.published_at.desc()).limit(20)
        )).scalars())
        return page(request, "supervision/console.html", alerts=[alert_row(a) for a in found], total=total, state=alert_state, tenders=tenders,
                    openings=openings, state_labels={k.value: v for k, v in STATE_LABELS.items()})

    @get("/supervision/alerts/{alert_id:int}", summary="A risk alert with its evidence, and the forms to review and close it")
    async def alert(self, request: Request, session: DbSession, actor: CurrentActor, alert_id: AlertId,
                    done: Annotated[str, QueryParameter(pattern="^(|review|close)$")] = "") -> Template:
        return await _alert_page(request, session, actor, alert_id, done=done)

    async def _again(self, request: Request, session: AsyncSession, actor: Actor, alert_id: int, exc: DomainError,
                     values: dict[str, str] | None = None) -> Template:
        await session.rollback()
        return await _alert_page(request, session, actor, alert_id, errors=errors_of(exc), values=values,
                                 status_code=409 if isinstance(exc, Conflict) else 400)

    @post("/supervision/alerts/{alert_id:int}/review", summary="Take an alert under review, from its page", status_code=303,
          responses=FORM_AGAIN)
    async def review(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, alert_id: AlertId) -> Any:
        try:
            await service.review(session, platform, actor, alert_id)
        except Conflict as exc:
            return await self._again(request, session, actor, alert_id, exc)
        return Redirect(f"/supervision/alerts/{alert_id}?done=review", status_code=303)

    @post("/supervision/alerts/{alert_id:int}/close", summary="Close an alert with the reason, from its page", status_code=303,
          responses=FORM_AGAIN)
    async def close(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    alert_id: AlertId) -> Any:
        values = {"reason": form_text(data, "reason")}
        try:
            await service.close(session, platform, actor, alert_id, values["reason"])
        except (InvalidInput, Conflict) as exc:
            return await self._again(request, session, actor, alert_id, exc, values)
        return Redirect(f"/supervision/alerts/{alert_id}?done=close", status_code=303)

    @get("/supervision/tenders/{tender_id:int}/report.pdf", media_type="application/pdf",
         summary="A tender's full history as a PDF for the supervision platform",
         description="Every readable audit entry about the tender, its bids, securities and alerts in log order with its "
         "position and hash; its notices with their content hashes; the bids as they stood after the opening; its alerts.")
    async def report(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath) -> Response[bytes]:
        tender, entries = await service.tender_history(session, actor, tender_id)
        tender_notices = await notices.of_tender(session, tender_id)
        bids = list((await session.execute(select(Bid).where(Bid.tender_id == tender_id).order_by(Bid.lot_number, Bid.id))).scalars())
        names = dict((await session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_({b.organisation_id for b in bids} or {0}))
        )).all())
        # Before bidding closes a bid's existence is secret, even here (docs/bids.md).
        show_bids = tender.status not in ("draft", "submitted", "accepted", "published")
        tender_alerts, _ = await service.alerts(session, actor, service.AlertFilter(tender_id=tender_id, limit=200))
        renderer: PdfRenderer = state.pdf
        pdf = await renderer.render("pdf/tender_report.html", {
            "tender": tender, "status": label(STATUS_LABELS, tender.status), "budget": yuan(tender.budget_fen), "entries": entries,
            "notices": tender_notices,
            "bids": [{"lot": b.lot_number, "bidder": names.get(b.organisation_id, ""), "version": b.version, "status": b.status,
                      "price": json.loads(b.opening_fields).get("price", "") if b.opening_fields else "", "sha256": b.sha256,
                      "audit_seq": b.audit_seq, "failure": b.open_failure} for b in bids] if show_bids else [],
            "alerts": [alert_row(a) for a in tender_alerts], "generated_at": to_display(platform.clock.now()),
            "lang": language_var.get(), "base_url": platform.settings.base_url,
        })
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="supervision-report-{tender.code}.pdf"'})
