"""Risk alerts API, for supervisors: list with filters, read one, take it under review, close it with a reason."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, delete, get, post
from litestar.params import PathParameter, QueryParameter
from pydantic import BaseModel, Field

from procurement.identity.models import Role, User
from procurement.supervision import assignments, rules, service
from procurement.supervision.models import AlertState, ProjectSupervisor, RiskAlert
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles

SUPERVISORS = requires_roles(Role.supervisor)
AlertId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the alert's id")]


class AlertOut(BaseModel):
    id: int
    rule: str
    tender_id: int | None
    lot_number: int | None
    purchaser_organisation_id: int | None
    organisation_ids: list[int]
    evidence: dict[str, Any] = Field(description="what the rule saw, fixed when the alert was raised (docs/supervision.md)")
    state: str = Field(description="new | under_review | closed")
    raised_at: datetime
    audit_seq: int = Field(description="the audit entry that recorded the raising")
    reviewer_id: int | None
    reviewed_at: datetime | None
    closed_by: int | None
    closed_at: datetime | None
    close_reason: str
    links: dict[str, str] = Field(description="the records the alert is about")


class AlertList(BaseModel):
    items: list[AlertOut]
    total: int


class CloseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=service.MAX_REASON, description="why: passed on for investigation, or no cause found")


def alert_links(alert: RiskAlert) -> dict[str, str]:
    links = {"self": f"/api/supervision/alerts/{alert.id}", "page": f"/supervision/alerts/{alert.id}",
             "audit": f"/api/audit/entries/{alert.audit_seq}"}
    if alert.tender_id is not None:
        links |= {"tender": f"/api/tenders/{alert.tender_id}", "report": f"/supervision/tenders/{alert.tender_id}/report.pdf"}
    return links


def alert_out(alert: RiskAlert) -> AlertOut:
    return AlertOut(
        id=alert.id, rule=alert.rule, tender_id=alert.tender_id, lot_number=alert.lot_number,  # type: ignore[arg-type]
        purchaser_organisation_id=alert.purchaser_organisation_id, organisation_ids=json.loads(alert.organisation_ids),
        evidence=json.loads(alert.evidence), state=alert.state, raised_at=alert.raised_at, audit_seq=alert.audit_seq,
        reviewer_id=alert.reviewer_id, reviewed_at=alert.reviewed_at, closed_by=alert.closed_by, closed_at=alert.closed_at,
        close_reason=alert.close_reason, links=alert_links(alert),
    )


class RiskAlertController(Controller):
    tags = ["Supervision"]
    guards = [SUPERVISORS]
    path = "/api/supervision/alerts"

    @get("/", summary="Risk alerts, newest first", description="Filters combine. Alerts about bids exist only once bidding closed.")
    async def list_alerts(
        self, session: DbSession, actor: CurrentActor,
        alert_state: Annotated[AlertState | None, QueryParameter(name="state")] = None,
        rule: Annotated[str | None, QueryParameter(pattern="^(" + "|".join(rules.RULE_LABELS) + ")$")] = None,
        tender_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        organisation_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> AlertList:
        found, total = await service.alerts(session, actor, service.AlertFilter(
            state=alert_state.value if alert_state else None, rule=rule, tender_id=tender_id, organisation_id=organisation_id, limit=limit, offset=offset))
        return AlertList(items=[alert_out(a) for a in found], total=total)

    @get("/{alert_id:int}", summary="One risk alert with its evidence")
    async def one(self, session: DbSession, actor: CurrentActor, alert_id: AlertId) -> AlertOut:
        return alert_out(await service.alert(session, actor, alert_id))

    @post("/{alert_id:int}/review", summary="Take a new alert under review", status_code=200)
    async def review(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, alert_id: AlertId) -> AlertOut:
        return alert_out(await service.review(session, platform, actor, alert_id))

    @post("/{alert_id:int}/close", summary="Close an alert, with the reason", status_code=200)
    async def close(self, data: CloseIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, alert_id: AlertId) -> AlertOut:
        return alert_out(await service.close(session, platform, actor, alert_id, data.reason))


TenderId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the tender's id")]
UserId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the supervisor's user id")]


class SupervisorIn(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ID, description="an active supervisor of the caller's own supervising body (the caller included)")


class ProjectSupervisorOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    assigned_by: int
    assigned_at: datetime


class ProjectSupervisorController(Controller):
    """Supervisors assigned to oversee a tender; the expert draw keeps them off its committee."""

    tags = ["Supervision"]
    guards = [SUPERVISORS]
    path = "/api/tenders/{tender_id:int}/supervisors"

    @get("/", summary="The supervisors assigned to a tender")
    async def list_supervisors(self, session: DbSession, actor: CurrentActor, tender_id: TenderId) -> list[ProjectSupervisorOut]:
        return [_supervisor_out(assigned, user) for assigned, user in await assignments.supervisors_of(session, actor, tender_id)]

    @post("/", summary="Assign a supervisor of the caller's own body to oversee a tender", status_code=201)
    async def assign(self, data: SupervisorIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderId) -> list[ProjectSupervisorOut]:
        await assignments.assign(session, platform, actor, tender_id, data.user_id)
        return [_supervisor_out(assigned, user) for assigned, user in await assignments.supervisors_of(session, actor, tender_id)]

    @delete("/{user_id:int}", summary="Withdraw a supervisor from a tender", status_code=204)
    async def withdraw(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderId, user_id: UserId) -> None:
        await assignments.withdraw(session, platform, actor, tender_id, user_id)


def _supervisor_out(assigned: ProjectSupervisor, user: User) -> ProjectSupervisorOut:
    return ProjectSupervisorOut(user_id=user.id, username=user.username, display_name=user.display_name,  # type: ignore[arg-type]
                                assigned_by=assigned.assigned_by, assigned_at=assigned.assigned_at)
