"""A notice as a public page and as a PDF, both rendered from the content fixed at publication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.evaluation import scoring
from procurement.audit.models import AuditCheckpoint
from procurement.clock import to_display
from procurement.documents import PdfRenderer
from procurement.errors import N_
from procurement.i18n import gettext, language_var
from procurement.tenders import notices
from procurement.tenders.models import Notice
from procurement.tenders.notice_controllers import NoticeId, pdf_path
from procurement.tenders.pages import (
    CATEGORY_LABELS,
    EVALUATION_LABELS,
    KIND_LABELS,
    METHOD_LABELS,
    ONLINE,
    TRACK_LABELS,
    label,
    scheme_view,
)
from procurement.web.deps import DbSession, PlatformDep
from procurement.web.pages import page


def _scheme(lot: dict[str, Any]) -> dict[str, Any]:
    # Notices published before schemes were recorded name the method only.
    if "evaluation_scheme" not in lot:
        return {"evaluation": label(EVALUATION_LABELS, lot["evaluation_method"]), "criteria": []}
    return scheme_view(scoring.Scheme.from_encoded(lot["evaluation_scheme"]))


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _yuan(amount: str) -> str:
    return f"{float(amount):,.2f}" if amount else ""


# Names of the opening fields bidders commonly seal with their price; others show as sealed.
FIELD_LABELS: dict[str, str] = {
    "currency": N_("Currency"),
    "duration_days": N_("Duration (calendar days)"),
    "warranty_months": N_("Warranty (months)"),
    "bid_security": N_("Bid security"),
}


def _opening_view(opening: dict[str, Any]) -> dict[str, Any]:
    """The opening record's lots: each bidder with its price and other fields, or why it did not open."""
    lots = []
    for number, rows in sorted(opening["lots"].items(), key=lambda item: int(item[0])):
        bids = []
        for row in rows:
            fields = dict(row["fields"] or {})
            price = fields.pop("price", "")
            fields.pop("files", None)
            shown = {label(FIELD_LABELS, name): value for name, value in fields.items()}
            bids.append({"bidder": row["bidder"], "price": _yuan(price), "fields": shown, "opened": row["status"] == "opened",
                         "failure": row["failure"], "envelope_sha256": row["envelope_sha256"]})
        lots.append({"number": int(number), "bids": bids})
    return {"started_at": _when(opening["started_at"]), "closed_at": _when(opening["closed_at"]), "lots": lots}


def notice_view(notice: Notice, checkpoint: AuditCheckpoint | None, *, corrects_id: int | None) -> dict[str, Any]:
    """Display-ready facts of a notice: labels in the reader's language, money with separators."""
    content = notices.content_of(notice)
    tender = content["tender"]
    timeline = tender["timeline"]
    details = content["details"]
    amendment = details.get("amendment")
    return {
        "id": notice.id,
        "title": notice.title,
        "kind": label(KIND_LABELS, notice.kind),
        "kind_code": notice.kind,
        "number": notice.number,
        "published_at": notice.published_at,
        "corrects_id": corrects_id,
        "corrects_number": content["corrects"],
        "tender": {
            **tender,
            "track": label(TRACK_LABELS, tender["track"]),
            "category": label(CATEGORY_LABELS, tender["category"]),
            "method": label(METHOD_LABELS, tender["method"]),
            "budget": _yuan(tender["budget"]),
            "lots": [
                {**lot, "budget": _yuan(lot["budget"]), "bid_security": _yuan(lot["bid_security"]), **_scheme(lot)}
                for lot in tender["lots"]
            ],
        },
        "timeline": {
            "documents_from": _when(timeline["documents_from"]),
            "documents_until": _when(timeline["documents_until"]),
            "questions_until": _when(timeline["questions_until"]),
            "bid_deadline": _when(timeline["bid_deadline"]),
            "opening_place": gettext(ONLINE) if timeline["opening_place"] == "online" else timeline["opening_place"],
            "release_minutes": timeline.get("release_minutes"),  # older notices did not state it
        },
        "amendment": {**amendment, "deadline_after": _when(amendment["deadline_after"]), "deadline_before": _when(amendment["deadline_before"])}
        if amendment
        else None,
        "reason": details.get("reason", ""),
        "failed_lots": details.get("failed_lots", []),
        "opening": _opening_view(details["opening"]) if "opening" in details else None,
        # Candidates, result and contract (bidding.award): templates/notices/_award.html.
        "award": {**details["award"], "publicity_ends_at": _when(details["award"].get("publicity_ends_at"))} if "award" in details else None,
        "proof": {
            "content_sha256": notice.content_sha256,
            "audit_seq": notice.audit_seq,
            "audit_entry_hash": notice.audit_entry_hash,
            "checkpoint": checkpoint,
        },
    }


async def _view(session: AsyncSession, notice_id: int) -> dict[str, Any]:
    notice = await notices.get(session, notice_id)
    return notice_view(notice, await notices.covering_checkpoint(session, notice), corrects_id=notice.corrects_notice_id)


class NoticePages(Controller):
    tags = ["Pages"]

    @get("/notices/{notice_id:int}", summary="A published notice (page)")
    async def one(self, request: Request, session: DbSession, platform: PlatformDep, notice_id: NoticeId) -> Template:
        view = await _view(session, notice_id)
        return page(request, "notices/notice.html", notice=view, pdf_url=pdf_path(notice_id), base_url=platform.settings.base_url)

    @get(
        "/notices/{notice_id:int}/pdf",
        summary="A published notice (PDF)",
        description="Rendered from the notice's fixed content, in the reader's language; the footer names the "
        "project, the publication time, and the audit-log position and checkpoint to verify it with.",
        media_type="application/pdf",
    )
    async def pdf(self, state: State, session: DbSession, platform: PlatformDep, notice_id: NoticeId) -> Response[bytes]:
        view = await _view(session, notice_id)
        renderer: PdfRenderer = state.pdf
        pdf = await renderer.render(
            "pdf/notice.html",
            {"notice": view, "base_url": platform.settings.base_url, "generated_at": to_display(platform.clock.now()),
             "lang": language_var.get()},
        )
        filename = f"notice-{view['tender']['code']}-{view['number']}.pdf"
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})
