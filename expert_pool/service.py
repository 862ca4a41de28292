"""The expert pool: the specialty code list, experts, and the profile each expert keeps current.

Who sees the national ID whole: supervisors, and the expert on their own profile. Operators
maintain the pool but see (and export) it masked: they never need the birth date.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from expert_pool import schemas
from expert_pool.models import (
    Expert,
    ExpertRelationship,
    ExpertSpecialty,
    ExpertStatus,
    ExpertUnavailability,
    Specialty,
)
from expert_pool.national_id import (
    NationalIdError,
    mask_national_id,
    validate_national_id,
)
from procurement.actor import Actor
from procurement.audit import service as audit
from procurement.errors import (
    N_,
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from procurement.identity.models import Role
from procurement.identity.uscc import UsccError, validate_uscc
from procurement.platform import Platform

MAX_LIST = 5000


# --- specialties -----------------------------------------------------------------------------


async def list_specialties(session: AsyncSession) -> list[Specialty]:
    return list((await session.execute(select(Specialty).order_by(Specialty.code))).scalars())


async def create_specialty(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.SpecialtyIn) -> Specialty:
    if not actor.has(Role.operator):
        raise Forbidden(N_("the specialty code list is maintained by the trading centre's operators"))
    if await _specialty(session, data.code) is not None:
        raise Conflict(N_("the specialty code %(code)s already exists"), code=data.code)
    parent = data.code.rsplit(".", 1)[0] if "." in data.code else None
    if parent is not None and await _specialty(session, parent) is None:
        raise InvalidInput.for_field("body.code", N_("its parent code %(parent)s must exist first"), parent=parent)
    specialty = Specialty(code=data.code, name=data.name, parent_code=parent, created_at=platform.clock.now())
    session.add(specialty)
    await session.flush()
    await audit.record(session, platform.clock, actor, "expert.specialty_created", subject_type="specialty", subject_id=data.code,
                       details={"name": data.name})
    return specialty


async def _specialty(session: AsyncSession, code: str) -> Specialty | None:
    return (await session.execute(select(Specialty).where(Specialty.code == code))).scalar_one_or_none()


# --- checks shared by the import and the profile -------------------------------------------


def national_id_errors(value: str, field: str, today: date) -> tuple[str, list[FieldError]]:
    try:
        return validate_national_id(value, today=today), []
    except NationalIdError as exc:
        return value, [FieldError(field, N_("is not a valid citizen identity number: %(why)s"), (("why", str(exc)),))]


def uscc_errors(value: str, field: str) -> tuple[str, list[FieldError]]:
    try:
        return validate_uscc(value), []
    except UsccError as exc:
        return value, [FieldError(field, N_("is not a valid unified social credit code: %(why)s"), (("why", str(exc)),))]


def period_errors(relationships: list[schemas.RelationshipIn], unavailable: list[schemas.UnavailabilityIn], prefix: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, rel in enumerate(relationships):
        rel.organisation_uscc, found = uscc_errors(rel.organisation_uscc, f"{prefix}.relationships[{i}].organisation_uscc")
        errors += found
        if rel.from_date and rel.to_date and rel.to_date < rel.from_date:
            errors.append(FieldError(f"{prefix}.relationships[{i}].to_date", N_("must not be before from_date")))
    for i, period in enumerate(unavailable):
        if period.to_date < period.from_date:
            errors.append(FieldError(f"{prefix}.unavailable[{i}].to_date", N_("must not be before from_date")))
    return errors


def expert_errors(data: schemas.ExpertIn, prefix: str, today: date) -> list[FieldError]:
    """Everything about one expert that needs no database; normalises the codes in place."""
    data.national_id, errors = national_id_errors(data.national_id, f"{prefix}.national_id", today)
    data.employer_uscc, found = uscc_errors(data.employer_uscc, f"{prefix}.employer_uscc")
    errors += found
    if data.status == ExpertStatus.suspended:
        if not data.suspension_reason:
            errors.append(FieldError(f"{prefix}.suspension_reason", N_("a suspended expert needs the reason")))
        if data.suspended_until is None:
            errors.append(FieldError(f"{prefix}.suspended_until", N_("a suspended expert needs the end date of the suspension")))
    elif data.suspension_reason or data.suspended_until:
        errors.append(FieldError(f"{prefix}.status", N_("a suspension reason or end date is only for status suspended")))
    return errors + period_errors(data.relationships, data.unavailable, prefix)


async def specialty_ids(session: AsyncSession) -> dict[str, int]:
    return {s.code: s.id for s in await list_specialties(session)}  # type: ignore[misc]


async def insert_expert(session: AsyncSession, platform: Platform, data: schemas.ExpertIn, codes: dict[str, int], user_id: int | None) -> Expert:
    now = platform.clock.now()
    expert = Expert(
        **data.model_dump(exclude={"specialties", "relationships", "unavailable", "username"}), user_id=user_id, created_at=now, updated_at=now
    )
    session.add(expert)
    await session.flush()
    for code in dict.fromkeys(data.specialties):
        session.add(ExpertSpecialty(expert_id=expert.id, specialty_id=codes[code]))  # type: ignore[arg-type]
    await _replace_lists(session, expert.id, data.relationships, data.unavailable)  # type: ignore[arg-type]
    return expert


async def _replace_lists(session: AsyncSession, expert_id: int, relationships: list[schemas.RelationshipIn],
                         unavailable: list[schemas.UnavailabilityIn]) -> None:
    await session.execute(delete(ExpertRelationship).where(ExpertRelationship.expert_id == expert_id))
    await session.execute(delete(ExpertUnavailability).where(ExpertUnavailability.expert_id == expert_id))
    for rel in relationships:
        session.add(ExpertRelationship(expert_id=expert_id, **rel.model_dump()))
    for period in unavailable:
        session.add(ExpertUnavailability(expert_id=expert_id, **period.model_dump()))
    await session.flush()


# --- reading ---------------------------------------------------------------------------------


def sees_whole_ids(actor: Actor) -> bool:
    return actor.has(Role.supervisor)


async def search(session: AsyncSession, *, specialty: str | None = None, region: str | None = None, status: str | None = None,
                 limit: int = MAX_LIST) -> list[Expert]:
    query = select(Expert).order_by(Expert.id).limit(limit)
    if region:
        query = query.where(Expert.region == region)
    if status:
        query = query.where(Expert.status == status)
    if specialty:
        # The code or any code under it: A01 finds the experts of A01.02.
        under = select(Specialty.id).where((Specialty.code == specialty) | Specialty.code.startswith(specialty + "."))  # type: ignore[union-attr]
        query = query.where(Expert.id.in_(select(ExpertSpecialty.expert_id).where(ExpertSpecialty.specialty_id.in_(under))))  # type: ignore[union-attr,attr-defined]
    return list((await session.execute(query)).scalars())


async def get(session: AsyncSession, expert_id: int) -> Expert:
    expert = await session.get(Expert, expert_id)
    if expert is None:
        raise NotFound(N_("no expert %(id)s"), id=expert_id)
    return expert


async def own_profile(session: AsyncSession, actor: Actor) -> Expert:
    expert = (await session.execute(select(Expert).where(Expert.user_id == actor.user_id))).scalar_one_or_none()
    if expert is None:
        raise NotFound(N_("your account is not linked to an expert in the pool; ask the trading centre"))
    return expert


async def outputs(session: AsyncSession, experts: list[Expert], *, whole_ids: bool) -> list[schemas.ExpertOut]:
    ids = [e.id for e in experts]
    codes: dict[int, list[str]] = defaultdict(list)
    relationships: dict[int, list[schemas.RelationshipOut]] = defaultdict(list)
    unavailable: dict[int, list[schemas.UnavailabilityOut]] = defaultdict(list)
    if ids:
        for expert_id, code in await session.execute(
            select(ExpertSpecialty.expert_id, Specialty.code).join(Specialty, Specialty.id == ExpertSpecialty.specialty_id)  # type: ignore[arg-type]
            .where(ExpertSpecialty.expert_id.in_(ids)).order_by(Specialty.code)  # type: ignore[attr-defined]
        ):
            codes[expert_id].append(code)
        for rel in (await session.execute(
            select(ExpertRelationship).where(ExpertRelationship.expert_id.in_(ids)).order_by(ExpertRelationship.id)  # type: ignore[attr-defined]
        )).scalars():
            relationships[rel.expert_id].append(schemas.RelationshipOut(**rel.model_dump(include={"kind", "organisation_uscc", "from_date", "to_date"})))
        for period in (await session.execute(
            select(ExpertUnavailability).where(ExpertUnavailability.expert_id.in_(ids)).order_by(ExpertUnavailability.id)  # type: ignore[attr-defined]
        )).scalars():
            unavailable[period.expert_id].append(schemas.UnavailabilityOut(**period.model_dump(include={"from_date", "to_date", "reason"})))
    return [
        schemas.ExpertOut(
            **e.model_dump(exclude={"national_id", "created_at", "updated_at"}),
            national_id=e.national_id if whole_ids else mask_national_id(e.national_id),
            specialties=codes[e.id], relationships=relationships[e.id], unavailable=unavailable[e.id],  # type: ignore[index]
        )
        for e in experts
    ]


# --- the expert's own profile ------------------------------------------------------------------


async def update_own_profile(session: AsyncSession, platform: Platform, actor: Actor, data: schemas.ProfileIn) -> Expert:
    """The expert keeps phone, relationships and absences current; audited with what changed."""
    expert = await own_profile(session, actor)
    errors = period_errors(data.relationships, data.unavailable, "body")
    if errors:
        raise InvalidInput.for_errors(errors)
    before = (await outputs(session, [expert], whole_ids=False))[0]
    expert.phone = data.phone
    expert.updated_at = platform.clock.now()
    session.add(expert)
    await _replace_lists(session, expert.id, data.relationships, data.unavailable)  # type: ignore[arg-type]
    await audit.record(
        session, platform.clock, actor, "expert.profile_updated", subject_type="expert", subject_id=expert.id,
        details={
            "phone_changed": before.phone != data.phone,
            "relationships": [r.model_dump(mode="json") for r in data.relationships],
            "unavailable": [u.model_dump(mode="json") for u in data.unavailable],
        },
    )
    return expert
