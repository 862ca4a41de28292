"""The supervisors' audit log page: browse and filter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from procurement.audit import service as audit
from procurement.identity.models import Role
from procurement.web.deps import MAX_SEQ, DbSession
from procurement.web.guards import requires_roles
from procurement.web.pages import page

PAGE_SIZE = 50


class AuditPages(Controller):
    tags = ["Pages"]
    guards = [requires_roles(Role.supervisor)]

    @get("/audit", summary="Audit log (supervisors)")
    async def log(
        self,
        request: Request,
        session: DbSession,
        # Text, not int: the filter form sends its empty fields too.
        # At most 9 digits: a larger id would overflow PostgreSQL's integer column (500).
        actor_id: Annotated[str, QueryParameter(pattern=r"^[0-9]{0,9}$")] = "",
        organisation_id: Annotated[str, QueryParameter(pattern=r"^[0-9]{0,9}$")] = "",
        subject_type: Annotated[str | None, QueryParameter(max_length=64)] = None,
        subject_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        before_seq: Annotated[int | None, QueryParameter(ge=1, le=MAX_SEQ)] = None,
    ) -> Template:
        flt = audit.EntryFilter(
            actor_id=int(actor_id) if actor_id else None,
            organisation_id=int(organisation_id) if organisation_id else None,
            subject_type=subject_type or None,
            subject_id=subject_id or None,
            action=action or None,
            since=since,
            until=until,
            limit=PAGE_SIZE,
            before_seq=before_seq,
        )
        entries, total = await audit.search(session, flt)
        latest = await audit.latest_checkpoint(session)
        return page(
            request,
            "audit/log.html",
            entries=entries,
            total=total,
            checkpoint=latest,
            filters={
                "actor_id": actor_id, "organisation_id": organisation_id, "subject_type": subject_type or "",
                "subject_id": subject_id or "", "action": action or "",
            },
            next_before_seq=entries[-1].seq if len(entries) == PAGE_SIZE else None,
        )
