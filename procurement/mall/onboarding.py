"""Supplier onboarding (入驻): a supplier applies to an agreement for some of its categories,
with documents; an operator approves or rejects it with a reason. Only an approved
supplier lists products, and only in the categories it was approved for."""

from __future__ import annotations

from collections.abc import AsyncIterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.credit import service as credit
from procurement.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from procurement.identity.models import Organisation, OrganisationKind, Role
from procurement.mall import agreements, files
from procurement.mall.models import (
    ApplicationCategory,
    ApplicationDocument,
    ApplicationStatus,
    Category,
    SupplierApplication,
)
from procurement.platform import Platform


def _supplier(actor: Actor) -> None:
    if not actor.has(Role.supplier) or actor.organisation_kind != OrganisationKind.supplier:
        raise Forbidden(N_("only a supplier organisation applies to sell in the mall"))


async def application(session: AsyncSession, actor: Actor, application_id: int, *, lock: bool = False) -> SupplierApplication:
    """An application: its own supplier's, or any for the trading centre and supervisors (others: 404)."""
    found = await session.get(SupplierApplication, application_id, with_for_update=lock)
    if found is None or not (actor.has(Role.operator, Role.supervisor) or found.organisation_id == actor.organisation_id):
        raise NotFound("there is no application %(id)s", id=application_id)
    return found


async def apply(
    session: AsyncSession, platform: Platform, actor: Actor, *, agreement_id: int, category_ids: list[int], statement: str
) -> SupplierApplication:
    """Apply (or apply again after a rejection) to sell under an agreement in some of its categories."""
    _supplier(actor)
    found = await agreements.agreement(session, agreement_id)
    covered = await agreements.agreement_category_ids(session, agreement_id)
    if not category_ids:
        raise InvalidInput.for_field("body.category_ids", N_("choose at least one category"))
    for category_id in category_ids:
        node = await agreements.category(session, category_id, field="body.category_ids")
        if not agreements.covered(node, covered):
            raise InvalidInput.for_field("body.category_ids", N_("the agreement %(number)s does not cover the category %(name)s"), number=found.number, name=node.name)
    await credit.require_clear(session, platform, [actor.organisation_id], "mall_listing", subject_type="mall_agreement", subject_id=agreement_id)
    now = platform.clock.now()
    existing = (await session.execute(
        select(SupplierApplication).where(SupplierApplication.agreement_id == agreement_id, SupplierApplication.organisation_id == actor.organisation_id)
        .with_for_update()
    )).scalars().first()
    if existing is not None and existing.status != ApplicationStatus.rejected:
        raise Conflict("your organisation has applied to this agreement already (%(status)s)", status=existing.status)
    if existing is None:
        existing = SupplierApplication(agreement_id=agreement_id, organisation_id=actor.organisation_id, status=ApplicationStatus.applied, applied_by=actor.user_id, applied_at=now)
        session.add(existing)
    else:  # a rejected application is made again: the earlier decision stays in the audit log
        await session.execute(delete(ApplicationCategory).where(ApplicationCategory.application_id == existing.id))
        existing.status, existing.applied_by, existing.applied_at = ApplicationStatus.applied, actor.user_id, now
        existing.decided_by, existing.decided_at, existing.decision_reason = None, None, ""
    existing.statement = statement
    await session.flush()
    session.add_all([ApplicationCategory(application_id=existing.id, category_id=c) for c in sorted(set(category_ids))])  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, platform.clock, actor, "mall.onboarding_applied", subject_type="mall_application", subject_id=existing.id,
        organisation_id=actor.organisation_id, details={"agreement_id": agreement_id, "category_ids": sorted(set(category_ids))},
    )
    return existing


async def attach_document(
    platform: Platform, actor: Actor, application_id: int, name: str, chunks: AsyncIterable[bytes], *, content_type: str, content_length: int | None
) -> ApplicationDocument:
    """Stream a document (licence, qualification) into an application still waiting for its decision."""
    _supplier(actor)
    async with platform.db.transaction(write=False) as session:
        _waiting(await application(session, actor, application_id))
    files.check_declared(content_type, content_length, image=False)
    async with files.stored(platform, f"mall/applications/{application_id}", chunks, content_type) as info, platform.db.transaction() as session:
        _waiting(await application(session, actor, application_id, lock=True))
        document = ApplicationDocument(
            application_id=application_id, name=name, object_key=info.key, sha256=info.sha256, size=info.size,
            content_type=content_type, uploaded_by=actor.user_id, uploaded_at=platform.clock.now(),
        )
        session.add(document)
        await session.flush()
        await audit.record(
            session, platform.clock, actor, "mall.onboarding_document", subject_type="mall_application", subject_id=application_id,
            organisation_id=actor.organisation_id, details={"name": name, "sha256": info.sha256, "size": info.size},
        )
        return document


def _waiting(found: SupplierApplication) -> SupplierApplication:
    if found.status != ApplicationStatus.applied:
        raise Conflict("this application is %(status)s; only one waiting for a decision can change", status=found.status)
    return found


async def decide(
    session: AsyncSession, platform: Platform, actor: Actor, application_id: int, *, approve: bool, reason: str
) -> SupplierApplication:
    """Approve or reject an application, with the reason (operators)."""
    if not actor.has(Role.operator):
        raise Forbidden(N_("applications are decided by the trading centre's operators"))
    found = _waiting(await application(session, actor, application_id, lock=True))
    if approve and not await documents(session, application_id):
        raise Conflict(N_("an application is approved only with its documents attached"))
    found.status = ApplicationStatus.approved if approve else ApplicationStatus.rejected
    found.decided_by, found.decided_at, found.decision_reason = actor.user_id, platform.clock.now(), reason
    await audit.record(
        session, platform.clock, actor, "mall.onboarding_" + found.status, subject_type="mall_application", subject_id=application_id,
        organisation_id=found.organisation_id, details={"reason": reason},
    )
    return found


async def documents(session: AsyncSession, application_id: int) -> list[ApplicationDocument]:
    query = select(ApplicationDocument).where(ApplicationDocument.application_id == application_id).order_by(ApplicationDocument.id)
    return list((await session.execute(query)).scalars())


async def category_ids(session: AsyncSession, application_id: int) -> list[int]:
    query = select(ApplicationCategory.category_id).where(ApplicationCategory.application_id == application_id).order_by(ApplicationCategory.category_id)
    return list((await session.execute(query)).scalars())


async def applications(session: AsyncSession, actor: Actor, *, status: str | None = None) -> list[tuple[SupplierApplication, str]]:
    """Applications with the supplier's name: the caller's own, or all for the centre and supervisors."""
    query = select(SupplierApplication, Organisation.name).join(Organisation, Organisation.id == SupplierApplication.organisation_id)
    if not actor.has(Role.operator, Role.supervisor):
        query = query.where(SupplierApplication.organisation_id == actor.organisation_id)
    if status:
        query = query.where(SupplierApplication.status == status)
    return [(a, name) for a, name in (await session.execute(query.order_by(SupplierApplication.id.desc()).limit(500))).all()]


async def require_may_list(session: AsyncSession, organisation_id: int, agreement_id: int, node: Category) -> None:
    """Refuse unless the supplier is approved under the agreement for this category (or an ancestor)."""
    query = (
        select(ApplicationCategory.category_id)
        .join(SupplierApplication, SupplierApplication.id == ApplicationCategory.application_id)
        .where(
            SupplierApplication.agreement_id == agreement_id, SupplierApplication.organisation_id == organisation_id,
            SupplierApplication.status == ApplicationStatus.approved,
        )
    )
    if not agreements.covered(node, set((await session.execute(query)).scalars())):
        raise Forbidden(N_("your organisation is not an approved supplier of this agreement for the category %(name)s"), name=node.name)
