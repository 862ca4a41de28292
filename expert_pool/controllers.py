"""Expert pool API: the specialty code list, the pool for operators and supervisors, the expert's own profile."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.params import PathParameter, QueryParameter

from expert_pool import csv_io, schemas, service
from expert_pool.models import ExpertStatus, Specialty
from procurement.identity.models import Role
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login, requires_roles

OPERATORS = requires_roles(Role.operator)
POOL_READERS = requires_roles(Role.operator, Role.supervisor)
EXPERTS = requires_roles(Role.expert)
ExpertId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the expert's id")]


def _specialty_out(s: Specialty) -> schemas.SpecialtyOut:
    return schemas.SpecialtyOut(code=s.code, name=s.name, parent_code=s.parent_code)


class ExpertPoolController(Controller):
    path = "/api"
    tags = ["Expert pool"]  # noqa: RUF012 - Litestar reads it as declared

    @get("/experts/specialties", summary="The specialty code list (any logged-in user)", guards=[requires_login])
    async def specialties(self, session: DbSession) -> list[schemas.SpecialtyOut]:
        return [_specialty_out(s) for s in await service.list_specialties(session)]

    @post("/experts/specialties", summary="Add a specialty code (operators); its parent code must exist", guards=[OPERATORS], status_code=201)
    async def add_specialty(self, data: schemas.SpecialtyIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.SpecialtyOut:
        return _specialty_out(await service.create_specialty(session, platform, actor, data))

    @post(
        "/experts/imports", summary="Import experts from CSV (operators): all rows or none, with a report per row",
        description="UTF-8 CSV as the body with the header " + ",".join(csv_io.IMPORT_COLUMNS) + ". If any row is bad nothing is "
        "imported and the 422 names each bad row and field (`row[N].field`) and the rule it broke.",
        guards=[OPERATORS], status_code=200,
    )
    async def import_csv(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.ImportReport:
        return await csv_io.import_experts(session, platform, actor, await request.body())

    @get("/experts", summary="Find experts (operators, supervisors); national IDs are masked except for supervisors", guards=[POOL_READERS])
    async def find(
        self, session: DbSession, actor: CurrentActor,
        specialty: Annotated[str | None, QueryParameter(pattern=schemas.SPECIALTY_CODE, description="this code or any under it")] = None,
        region: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{6}$")] = None,
        status: ExpertStatus | None = None,
    ) -> list[schemas.ExpertOut]:
        found = await service.search(session, specialty=specialty, region=region, status=status)
        return await service.outputs(session, found, whole_ids=service.sees_whole_ids(actor))

    @get("/experts.csv", summary="The pool as CSV (operators, supervisors); national IDs whole only for supervisors", guards=[POOL_READERS])
    async def export_csv(
        self, session: DbSession, actor: CurrentActor,
        specialty: Annotated[str | None, QueryParameter(pattern=schemas.SPECIALTY_CODE)] = None,
        region: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{6}$")] = None,
        status: ExpertStatus | None = None,
    ) -> Response[str]:
        found = await service.search(session, specialty=specialty, region=region, status=status)
        return Response(
            await csv_io.export_for(session, actor, found), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="experts.csv"'},
        )

    @get("/experts/me", summary="The calling expert's own profile, national ID whole", guards=[EXPERTS])
    async def me(self, session: DbSession, actor: CurrentActor) -> schemas.ExpertOut:
        return (await service.outputs(session, [await service.own_profile(session, actor)], whole_ids=True))[0]

    @put("/experts/me", summary="Keep one's own phone, relationships and unavailable periods current (experts; audited)", guards=[EXPERTS])
    async def update_me(self, data: schemas.ProfileIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> schemas.ExpertOut:
        expert = await service.update_own_profile(session, platform, actor, data)
        return (await service.outputs(session, [expert], whole_ids=True))[0]

    @get("/experts/{expert_id:int}", summary="One expert (operators, supervisors); national ID masked except for supervisors", guards=[POOL_READERS])
    async def one(self, session: DbSession, actor: CurrentActor, expert_id: ExpertId) -> schemas.ExpertOut:
        expert = await service.get(session, expert_id)
        return (await service.outputs(session, [expert], whole_ids=service.sees_whole_ids(actor)))[0]
