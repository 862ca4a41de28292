"""Invitation pages: the one-time link (no login) and the expert's own invitations with check-in.

The link page ``/invitations/{token}`` shows what the expert is invited to and takes the
answer; the answer spends the token, so the link then says it is wrong or used (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from expert_pool import invitations
from expert_pool.controllers import EXPERTS
from expert_pool.invitation_controllers import InvitationId
from expert_pool.invitation_models import InvitationStatus
from procurement.errors import N_, DomainError
from procurement.i18n import gettext
from procurement.tenders.manage_pages import FORM_AGAIN, errors_of
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.pages import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Token = Annotated[str, PathParameter(min_length=1, max_length=100, description="the one-time token from the invitation message")]
STATUS_LABELS = {
    InvitationStatus.invited: N_("Waiting for your answer"), InvitationStatus.accepted: N_("Accepted"),
    InvitationStatus.declined: N_("Declined"), InvitationStatus.no_answer: N_("Not answered in time"),
    InvitationStatus.conflict_declared: N_("Conflict declared: replaced"), InvitationStatus.withdrawn: N_("Withdrawn"),
}


class InvitationLinkPages(Controller):
    tags = ["Pages"]

    @get("/invitations/{token:str}", summary="The one-time invitation link: what the expert is invited to, accept or decline")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, token: Token) -> Template:
        return await _link_page(request, session, platform, token)

    @post("/invitations/{token:str}/accept", status_code=200, responses=FORM_AGAIN, summary="Accept through the one-time link")
    async def accept(self, request: Request, session: DbSession, platform: PlatformDep, token: Token) -> Template:
        try:
            invitation = await invitations.accept_by_token(session, platform, token)
        except DomainError as exc:
            return await _link_again(request, session, platform, token, errors_of(exc), exc.status)
        return page(request, "experts/invitation_answered.html", invitation=await invitations.describe(session, platform, invitation),
                    status_labels=STATUS_LABELS)

    @post("/invitations/{token:str}/decline", status_code=200, responses=FORM_AGAIN, summary="Decline with a reason through the one-time link")
    async def decline(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, token: Token) -> Template:
        reason = str(data.get("reason", ""))
        try:
            invitation = await invitations.decline_by_token(session, platform, token, invitations.DeclineIn(reason=reason))
        except (DomainError, ValidationError) as exc:
            status = exc.status if isinstance(exc, DomainError) else 400
            return await _link_again(request, session, platform, token, errors_of(exc), status, reason=reason)
        return page(request, "experts/invitation_answered.html", invitation=await invitations.describe(session, platform, invitation),
                    status_labels=STATUS_LABELS)


async def _link_page(request: Request, session: Any, platform: Any, token: str, *, status_code: int = 200, **context: Any) -> Template:
    invitation = await invitations.describe(session, platform, await invitations.by_token(session, token))
    context.setdefault("errors", [])
    return page(request, "experts/invitation.html", status_code=status_code, invitation=invitation, token=token,
                status_labels=STATUS_LABELS, field_labels={"reason": gettext("Reason for declining")}, **context)


async def _link_again(request: Request, session: Any, platform: Any, token: str, errors: list[tuple[str, str]], status: int,
                      **context: Any) -> Template:
    await session.rollback()
    return await _link_page(request, session, platform, token, status_code=status, errors=errors, **context)


class MyInvitationPages(Controller):
    tags = ["Pages"]
    guards = [EXPERTS]

    @get("/experts/me/invitations", summary="The expert's invitations: answer, withdraw, check in (experts)")
    async def listing(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      done: Annotated[str, QueryParameter(max_length=20)] = "") -> Template:
        return await _mine_page(request, session, platform, actor, done=done)

    @post("/experts/me/invitations/{invitation_id:int}/accept", status_code=303, responses=FORM_AGAIN, summary="Accept, from the page")
    async def accept(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     invitation_id: InvitationId) -> Any:
        try:
            await invitations.accept(session, platform, actor, invitation_id)
        except DomainError as exc:
            return await _mine_again(request, session, platform, actor, invitation_id, errors_of(exc), exc.status)
        return Redirect(f"/experts/me/invitations?done=accepted#invitation-{invitation_id}", status_code=303)

    @post("/experts/me/invitations/{invitation_id:int}/decline", status_code=303, responses=FORM_AGAIN,
          summary="Decline or withdraw with a reason, from the page")
    async def decline(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      invitation_id: InvitationId) -> Any:
        try:
            await invitations.decline(session, platform, actor, invitation_id, invitations.DeclineIn(reason=str(data.get("reason", ""))))
        except (DomainError, ValidationError) as exc:
            status = exc.status if isinstance(exc, DomainError) else 400
            return await _mine_again(request, session, platform, actor, invitation_id, errors_of(exc), status)
        return Redirect(f"/experts/me/invitations?done=declined#invitation-{invitation_id}", status_code=303)

    @post("/experts/me/invitations/{invitation_id:int}/check-in", status_code=303, responses=FORM_AGAIN,
          summary="Check in and declare whether a conflict applies, from the page")
    async def check_in(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                       invitation_id: InvitationId) -> Any:
        try:
            answer = invitations.CheckInIn(conflict=str(data.get("conflict", "")) == "1", detail=str(data.get("detail", "")))
            await invitations.check_in(session, platform, actor, invitation_id, answer)
        except (DomainError, ValidationError) as exc:
            status = exc.status if isinstance(exc, DomainError) else 400
            return await _mine_again(request, session, platform, actor, invitation_id, errors_of(exc), status)
        return Redirect(f"/experts/me/invitations?done=checked_in#invitation-{invitation_id}", status_code=303)


async def _mine_page(request: Request, session: Any, platform: Any, actor: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("errors", [])
    context.setdefault("failed", None)
    return page(request, "experts/invitations.html", status_code=status_code,
                invitations=await invitations.mine(session, platform, actor), status_labels=STATUS_LABELS, **context)


async def _mine_again(request: Request, session: Any, platform: Any, actor: Any, invitation_id: int, errors: list[tuple[str, str]],
                      status: int) -> Template:
    await session.rollback()
    # Each invitation has its own form: the summary links to that form's field (reason-12), not the first one.
    errors = [(f"{field}-{invitation_id}" if field else field, message) for field, message in errors]
    labels = {f"reason-{invitation_id}": gettext("Reason for declining"), f"detail-{invitation_id}": gettext("The conflict (if any)")}
    return await _mine_page(request, session, platform, actor, status_code=status, errors=errors, failed=invitation_id,
                            field_labels=labels)
