"""Invitation API for the invited expert: their invitations, accept, decline (or withdraw), check in.

Supervisors see every invitation's status in ``GET /api/draws/{id}``; nobody else sees any.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import PathParameter

from expert_pool import invitations
from expert_pool.controllers import EXPERTS
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep

InvitationId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the invitation's id")]


class InvitationController(Controller):
    path = "/api"
    tags = ["Expert invitations"]
    guards = [EXPERTS]

    @get("/experts/me/invitations", summary="The caller's own invitations, latest first (experts)")
    async def mine(self, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> list[invitations.InvitationOut]:
        return await invitations.mine(session, platform, actor)

    @post("/invitations/{invitation_id:int}/accept", status_code=200, summary="Accept one's own invitation before its answer time")
    async def accept(self, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     invitation_id: InvitationId) -> invitations.InvitationOut:
        return await invitations.describe(session, platform, await invitations.accept(session, platform, actor, invitation_id))

    @post("/invitations/{invitation_id:int}/decline", status_code=200,
          summary="Decline one's own invitation with a reason, or withdraw after accepting; a replacement is drawn")
    async def decline(self, data: invitations.DeclineIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      invitation_id: InvitationId) -> invitations.InvitationOut:
        return await invitations.describe(session, platform, await invitations.decline(session, platform, actor, invitation_id, data))

    @post("/invitations/{invitation_id:int}/check-in", status_code=200,
          summary="Check in on an evaluation day, declaring whether a conflict applies; a conflict replaces the expert")
    async def check_in(self, data: invitations.CheckInIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                       invitation_id: InvitationId) -> invitations.InvitationOut:
        return await invitations.describe(session, platform, await invitations.check_in(session, platform, actor, invitation_id, data))
