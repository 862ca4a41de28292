"""Expert ratings API: the purchaser and supervisors rate a committee; supervisors read averages and the review list."""

from __future__ import annotations

from litestar import Controller, get, post

from expert_pool import ratings
from expert_pool.controllers import ExpertId
from expert_pool.draw_controllers import SUPERVISORS, DrawId
from procurement.identity.models import Role
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles

RATERS = requires_roles(Role.purchaser, Role.supervisor)


class ExpertRatingController(Controller):
    path = "/api"
    tags = ["Expert ratings"]

    @post("/draws/{draw_id:int}/ratings", guards=[RATERS], status_code=201,
          summary="Rate an expert who sat on the committee (the tender's purchaser, supervisors; once per side)",
          description="Within the working days after the evaluation that the settings allow (docs/expert-draw.md, Ratings); "
          "earlier or later is a 409 naming the rule.")
    async def rate(self, data: ratings.RatingIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                   draw_id: DrawId) -> ratings.RatingOut:
        return ratings.rating_out(await ratings.rate(session, platform, actor, draw_id, data))

    @get("/draws/{draw_id:int}/ratings", guards=[RATERS],
         summary="The committee's ratings: the purchaser its own (names once the evaluation ended), supervisors all with averages")
    async def of_draw(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, draw_id: DrawId) -> ratings.DrawRatingsOut:
        return await ratings.of_draw(session, platform, actor, draw_id)

    @get("/experts/{expert_id:int}/ratings", guards=[SUPERVISORS], summary="An expert's ratings with their average and count (supervisors)")
    async def of_expert(self, session: DbSession, actor: CurrentActor, expert_id: ExpertId) -> ratings.ExpertRatingsOut:
        return await ratings.of_expert(session, actor, expert_id)

    @get("/expert-ratings/flagged", guards=[SUPERVISORS],
         summary="Experts whose average is below the review threshold over at least the minimum number of ratings (supervisors)")
    async def flagged(self, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> ratings.FlaggedOut:
        return await ratings.flagged(session, platform, actor)
