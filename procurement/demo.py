"""Demo data: one organisation per kind, one user per role, and tenders in several states.

Idempotent: what exists is left alone. Passwords are random on the first run and kept in
``<data dir>/demo-credentials.txt`` (owner-only), so later runs can print them again.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.actor import Actor
from procurement.clock import DISPLAY_ZONE
from procurement.identity import schemas, service, sessions
from procurement.identity.models import OrganisationKind, Role, User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.models import Tender
from procurement.tenders.schemas import (
    LotIn,
    PublishIn,
    ReviewIn,
    TenderDraft,
    TimelineIn,
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class DemoOrganisation:
    uscc17: str  # the check character is computed
    name: str
    kind: OrganisationKind
    users: tuple[DemoUser, ...]


# Region 460100 is Haikou. The leading characters follow GB 32100-2015 (registration
# authority and organisation category): 11 = government body, 12 = public institution,
# 91 = enterprise.
DEMO_ORGANISATIONS = (
    DemoOrganisation("12460100MB0000001", "海口市公共资源交易中心", OrganisationKind.operator, (
        DemoUser("operator", "交易中心工作人员", (Role.operator,)),
        DemoUser("admin", "平台管理员", (Role.admin, Role.operator)),
    )),
    DemoOrganisation("11460100MB0000002", "海口市财政局政府采购监督管理科", OrganisationKind.supervisor_body, (
        DemoUser("supervisor", "监督人员", (Role.supervisor,)),
    )),
    DemoOrganisation("12460100MB0000003", "海口市人民医院", OrganisationKind.purchaser, (
        DemoUser("purchaser", "采购人经办人", (Role.purchaser,)),
    )),
    DemoOrganisation("91460100MA5T00004", "海南示例招标代理有限公司", OrganisationKind.agency, (
        DemoUser("agency", "代理机构项目经理", (Role.agency,)),
    )),
    DemoOrganisation("91460100MA5T00005", "海南示例建设工程有限公司", OrganisationKind.supplier, (
        DemoUser("supplier", "投标人经办人", (Role.supplier, Role.admin)),
    )),
    DemoOrganisation("12460000MB0000006", "海南大学", OrganisationKind.expert_employer, (
        DemoUser("expert", "评标专家", (Role.expert,)),
    )),
)

CREDENTIALS_FILE = "demo-credentials.txt"


def _demo_password() -> str:
    # Letters and digits, with the classes the password rule asks for.
    return "Demo-" + secrets.token_urlsafe(9)


def _read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
    return {name: password for name, password in pairs}


def _write_credentials(path: Path, credentials: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{name}\t{password}\n" for name, password in credentials.items())
    os.replace(tmp, path)


async def load_demo(platform: Platform) -> list[tuple[str, str, str]]:
    """Create what is missing; return (username, password, roles) for every demo user."""
    path = platform.settings.data_dir / CREDENTIALS_FILE
    credentials = _read_credentials(path)
    async with platform.db.transaction() as session:
        for spec in DEMO_ORGANISATIONS:
            uscc = make_uscc(spec.uscc17)
            org = await service.find_organisation(session, uscc)
            if org is None:
                org = await service.system_create_organisation(
                    session, platform, schemas.OrganisationCreate(uscc=uscc, name=spec.name, kind=spec.kind, region="460100"), via="demo"
                )
            existing = {u.username for u in await service.list_organisation_users(session, org.id)}  # type: ignore[arg-type]
            for user in spec.users:
                if user.username in existing:
                    continue
                password = credentials.get(user.username) or _demo_password()
                await service.system_create_user(
                    session, platform, org,
                    schemas.UserCreate(username=user.username, display_name=user.display_name, password=password, roles=list(user.roles)),
                    via="demo",
                )
                credentials[user.username] = password
    _write_credentials(path, credentials)
    await _load_demo_tenders(platform)
    return [
        (user.username, credentials.get(user.username, "(set before this file existed)"), ", ".join(user.roles))
        for spec in DEMO_ORGANISATIONS
        for user in spec.users
    ]


# --- Tenders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoTender:
    key: str
    title: str
    track: str
    category: str
    method: str
    region: str
    budget: str
    run_by: str  # the demo user who creates it: "purchaser" or "agency"
    reach: str  # how far it goes: draft, submitted, accepted, scheduled, published
    green_channel: bool = False


DEMO_TENDERS = (
    DemoTender("demo-t1", "海口市人民医院门诊楼改造工程", "works", "works", "open", "460106", "12500000.00", "purchaser", "published"),
    DemoTender("demo-t2", "海口市第一中学教学设备采购项目", "government", "goods", "open", "460107", "1860000.00", "agency", "published"),
    DemoTender("demo-t3", "海口市人民医院物业管理服务采购", "government", "services", "consultation", "460106", "2400000.00", "purchaser", "published"),
    DemoTender("demo-t4", "美兰区市政道路维修工程", "works", "works", "invited", "460108", "5300000.00", "agency", "published", True),
    DemoTender("demo-t5", "海口市人民医院医用耗材询价采购", "government", "goods", "quotation", "460106", "380000.00", "purchaser", "scheduled"),
    DemoTender("demo-t6", "龙华区图书馆数字化服务采购", "government", "services", "negotiation", "460106", "960000.00", "agency", "submitted"),
    DemoTender("demo-t7", "秀英区污水管网改造工程", "works", "works", "open", "460105", "8800000.00", "agency", "submitted", True),
    DemoTender("demo-t8", "海口市人民医院信息系统升级项目", "government", "services", "open", "460106", "3150000.00", "purchaser", "draft"),
)
_REACH_ORDER = ("draft", "submitted", "accepted", "scheduled", "published")


def _demo_draft(spec: DemoTender, now: datetime, purchaser_id: int) -> TenderDraft:
    # Documents from tomorrow 09:00 Beijing time for 10 days, bids due 25 days after the first day:
    # inside every limit of every method.
    first_day = (now + timedelta(days=1)).astimezone(DISPLAY_ZONE).replace(hour=9, minute=0, second=0, microsecond=0)
    budget = Decimal(spec.budget)
    half = (budget / 2).quantize(Decimal("0.01"))
    return TenderDraft(
        title=spec.title, track=spec.track, category=spec.category, method=spec.method, region=spec.region, budget=budget,
        purchaser_organisation_id=purchaser_id if spec.run_by == "agency" else None, green_channel=spec.green_channel,
        lots=[
            LotIn(title="第一包", budget=half, bid_security=(half * Decimal("0.02")).quantize(Decimal("0.01"))),
            LotIn(title="第二包", budget=budget - half, bid_security=Decimal("0.00"), evaluation_method="lowest_price"),
        ],
        timeline=TimelineIn(
            documents_from=first_day, documents_until=first_day + timedelta(days=10),
            bid_deadline=first_day + timedelta(days=25, hours=0, minutes=30), opening_place="online",
        ),
        contact_name="王工", contact_phone="0898-66668888",
        qualifications="具有独立承担民事责任的能力；近三年内在经营活动中没有重大违法记录；未被列入失信被执行人名单。",
    )


async def _actor(session: AsyncSession, username: str) -> Actor:
    user = (await session.execute(select(User).where(User.username == username))).scalar_one()
    return await sessions.actor_for(session, user, via="bearer", session_id=None)


async def _load_demo_tenders(platform: Platform) -> None:
    """One tender per demo spec, taken as far as its ``reach``; tenders that exist are left alone."""
    for spec in DEMO_TENDERS:
        async with platform.db.transaction() as session:
            owner = await _actor(session, spec.run_by)
            purchaser = await _actor(session, "purchaser")
            operator = await _actor(session, "operator")
            existing = (
                await session.execute(select(Tender.id).where(Tender.owner_organisation_id == owner.organisation_id, Tender.idempotency_key == spec.key))
            ).scalar_one_or_none()
            if existing is not None:
                continue
            now = platform.clock.now()
            tender, _ = await tenders.create_draft(session, platform, owner, _demo_draft(spec, now, purchaser.organisation_id), spec.key)
            reach = _REACH_ORDER.index(spec.reach)
            if reach >= 1:
                await tenders.submit(session, platform, owner, tender.id)  # type: ignore[arg-type]
            if reach >= 2:
                checklist = {item: True for item in tenders.CHECKLISTS[spec.method]}
                await tenders.review(session, platform, operator, tender.id, ReviewIn(decision="accepted", checklist=checklist))  # type: ignore[arg-type]
            if spec.reach == "scheduled":
                await tenders.publish(session, platform, owner, tender.id, PublishIn(publish_at=now + timedelta(hours=12)))  # type: ignore[arg-type]
            elif spec.reach == "published":
                await tenders.publish(session, platform, owner, tender.id, PublishIn())  # type: ignore[arg-type]
