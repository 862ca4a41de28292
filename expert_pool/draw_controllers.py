"""Expert draw API: make a draw, see it (names for supervisors only), reveal the seed, verify."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import PathParameter

from expert_pool import draws
from procurement.identity.models import Role
from procurement.tenders.controllers import TenderIdPath
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login, requires_roles

OWNERS = requires_roles(Role.purchaser, Role.agency)
SUPERVISORS = requires_roles(Role.supervisor)
DrawId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the draw's id")]


class ExpertDrawController(Controller):
    path = "/api"
    tags = ["Expert draws"]  # noqa: RUF012 - Litestar reads it as declared

    @post(
        "/tenders/{tender_id:int}/draws", guards=[OWNERS], status_code=201,
        summary="Draw the evaluation committee's experts (the organisation running the tender, after bidding closed)",
        description="The seed's SHA-256 is written to the audit log before the draw (docs/expert-draw.md); "
        "the answer gives counts only: the names are secret until the evaluation.",
    )
    async def make(self, data: draws.DrawIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   tender_id: TenderIdPath) -> draws.DrawOut:
        row = await draws.make_draw(session, platform, actor, tender_id, data)
        return await draws.view(session, actor, row.id)  # type: ignore[arg-type]

    @get("/draws/{draw_id:int}", guards=[requires_login],
         summary="A draw: supervisors see the committee, reserves and exclusions; others who may see the tender, counts")
    async def one(self, session: DbSession, actor: CurrentActor, draw_id: DrawId) -> draws.DrawOut:
        return await draws.view(session, actor, draw_id)

    @post("/draws/{draw_id:int}/reveal", guards=[SUPERVISORS], status_code=200,
          summary="Reveal the draw's seed in the audit log (supervisors), so anyone can verify the draw")
    async def reveal(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, draw_id: DrawId) -> draws.DrawOut:
        await draws.reveal(session, platform, actor, draw_id)
        return await draws.view(session, actor, draw_id)

    @get("/draws/{draw_id:int}/verification", guards=[requires_login],
         summary="Re-run the draw from the stored snapshot, request and seed (supervisors; anyone after the reveal)")
    async def verification(self, session: DbSession, actor: CurrentActor, draw_id: DrawId) -> draws.VerificationOut:
        return await draws.verification(session, actor, draw_id)
