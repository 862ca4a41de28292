"""The rating page of a tender: its committees, and a form per expert for the purchaser and the supervisors."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import ratings
from expert_pool.rating_controllers import RATERS
from procurement.actor import Actor
from procurement.errors import N_, DomainError
from procurement.i18n import gettext
from procurement.platform import Platform
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.manage_pages import FORM_AGAIN
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import form_text, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Errors = list[tuple[str, str]]
PERIOD_LABELS = {"not_yet_open": N_("not yet open"), "open": N_("open"), "closed": N_("closed")}


def _errors(exc: DomainError | ValidationError, suffix: str) -> Errors:
    """Refusals tied to the rating form they came from: field ids are ``score-{draw}-{expert}``."""
    if isinstance(exc, ValidationError):
        return [(f"{e['loc'][-1]}-{suffix}" if e["loc"] else "", gettext(str(e["msg"]))) for e in exc.errors()]
    if exc.errors:
        return [(f"{e.field.split('.')[-1]}-{suffix}", e.shown(gettext)) for e in exc.errors]
    return [("", gettext(exc.template, **exc.params))]


async def _page(request: Request, session: AsyncSession, platform: Platform, actor: Actor, tender_id: int, *, status_code: int = 200,
                errors: Errors | None = None, values: dict[str, str] | None = None, done: str = "") -> Template:
    tender, draw_ids = await ratings.draws_of_tender(session, actor, tender_id)
    committees = [await ratings.of_draw(session, platform, actor, draw_id) for draw_id in draw_ids]
    return page(request, "experts/ratings.html", status_code=status_code, tender=tender, committees=committees,
                working_days=platform.settings.expert_rating_working_days,
                period_labels={code: gettext(text) for code, text in PERIOD_LABELS.items()}, errors=errors or [], values=values or {}, done=done)


class ExpertRatingPages(Controller):
    tags = ["Pages"]
    guards = [RATERS]

    @get("/tenders/{tender_id:int}/expert-ratings",
         summary="Rate the tender's evaluation experts (its purchaser and the supervisors); names once the evaluation ended")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath,
                   done: Annotated[str, QueryParameter(pattern="^(|rated)$")] = "") -> Template:
        return await _page(request, session, platform, actor, tender_id, done=done)

    @post("/tenders/{tender_id:int}/expert-ratings", summary="Rate one expert, from the tender's rating page", status_code=303,
          responses=FORM_AGAIN)
    async def rate(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   tender_id: TenderIdPath) -> Any:
        draw_id, expert_id = form_text(data, "draw_id"), form_text(data, "expert_id")
        suffix = f"{draw_id}-{expert_id}"
        values = {f"score-{suffix}": form_text(data, "score"), f"comment-{suffix}": form_text(data, "comment")}
        try:
            body = ratings.RatingIn(expert_id=expert_id, score=form_text(data, "score"), comment=form_text(data, "comment"))  # type: ignore[arg-type]
            if not draw_id.isdigit() or int(draw_id) not in (await ratings.draws_of_tender(session, actor, tender_id))[1]:
                return await _page(request, session, platform, actor, tender_id, status_code=400, values=values,
                                   errors=[("", gettext("This committee is not one of this tender's."))])
            await ratings.rate(session, platform, actor, int(draw_id), body)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            status = exc.status if isinstance(exc, DomainError) else 400
            if status in (403, 404):
                raise
            return await _page(request, session, platform, actor, tender_id, status_code=409 if status == 409 else 400,
                               errors=_errors(exc, suffix), values=values)
        return Redirect(f"/tenders/{tender_id}/expert-ratings?done=rated#expert-{suffix}", status_code=303)
