"""Demo data: one organisation per kind, one user per role, and tenders in every state so far.

Idempotent: what exists is left alone. Passwords are random on the first run and kept in
``<data dir>/demo-credentials.txt`` (owner-only), so later runs can print them again.

Some demo tenders have a past (bidding closed weeks ago, amended, terminated). The demo
makes that past happen in order: it runs on a clock set back to the earliest start and
moves it forward step by step to the present, through the same service calls a user's
actions go through. So the audit log of a fresh demo reads forward in time, as a real one
does, and every notice is published the way it would have been.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from html import escape
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import deadline, evaluation_demo
from bidding import demo as demo_bids
from expert_pool.demo import load_expert_demo
from procurement.actor import Actor
from procurement.clock import DISPLAY_ZONE, FrozenClock, as_utc
from procurement.credit.demo import load_credit_demo
from procurement.documents import PdfRenderer, make_pdf_environment
from procurement.identity import schemas, service, sessions
from procurement.identity.models import OrganisationKind, Role, User
from procurement.identity.uscc import make_uscc
from procurement.mall.demo import load_mall_demo
from procurement.platform import Platform
from procurement.statistics.demo import load_statistics_demo
from procurement.supervision import service as supervision
from procurement.tenders import documents
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
    DemoOrganisation("91460100MA5T00007", "海南第二示例建设有限公司", OrganisationKind.supplier, (
        DemoUser("supplier2", "投标人经办人（二）", (Role.supplier,)),
    )),
    DemoOrganisation("91460100MA5T00008", "海口示例设备供应有限公司", OrganisationKind.supplier, (
        DemoUser("supplier3", "投标人经办人（三）", (Role.supplier,)),
    )),
    DemoOrganisation("12460000MB0000006", "海南大学", OrganisationKind.expert_employer, (
        DemoUser("expert", "评标专家", (Role.expert,)),
        *(DemoUser(username, name, (Role.expert,)) for username, name in evaluation_demo.EXPERT_USERS),
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
    present = platform.clock.now()
    # The demo's own clock starts at the earliest past it tells, and only moves forward.
    clock = FrozenClock(present - timedelta(days=max(spec.started_days_ago for spec in DEMO_TENDERS)))
    accounts = await _load_demo_accounts(replace(platform, clock=clock))
    await _load_demo_tenders(platform, clock)
    await load_mall_demo(platform)  # before the credit demo, which then blacklists one mall supplier
    await load_credit_demo(platform)
    await load_expert_demo(platform)
    await load_statistics_demo(platform)
    return accounts


async def _load_demo_accounts(platform: Platform) -> list[tuple[str, str, str]]:
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
    # How far it goes: draft, submitted, accepted, scheduled, published; or, for a tender
    # with a past, closed (the deadline passed, no bids: failed), amended (amended today), terminated,
    # opened (three demo bidders bid, released their keys at the opening); contract (evaluated,
    # awarded and the contract recorded, some 40 days that run before the next spec starts:
    # bidding/evaluation_demo.py).
    reach: str
    green_channel: bool = False
    started_days_ago: int = 0
    one_lot: bool = False  # the whole budget in one scored lot, instead of a scored and a lowest-price lot


DEMO_TENDERS = (
    DemoTender("demo-t1", "海口市人民医院门诊楼改造工程", "works", "works", "open", "460106", "12500000.00", "purchaser", "published"),
    DemoTender("demo-t2", "海口市第一中学教学设备采购项目", "government", "goods", "open", "460107", "1860000.00", "agency", "published"),
    DemoTender("demo-t3", "海口市人民医院物业管理服务采购", "government", "services", "consultation", "460106", "2400000.00", "purchaser", "published"),
    DemoTender("demo-t4", "美兰区市政道路维修工程", "works", "works", "invited", "460108", "5300000.00", "agency", "published", True),
    DemoTender("demo-t5", "海口市人民医院医用耗材询价采购", "government", "goods", "quotation", "460106", "380000.00", "purchaser", "scheduled"),
    DemoTender("demo-t6", "龙华区图书馆数字化服务采购", "government", "services", "negotiation", "460106", "960000.00", "agency", "submitted"),
    DemoTender("demo-t7", "秀英区污水管网改造工程", "works", "works", "open", "460105", "8800000.00", "agency", "submitted", True),
    DemoTender("demo-t8", "海口市人民医院信息系统升级项目", "government", "services", "open", "460106", "3150000.00", "purchaser", "draft"),
    DemoTender("demo-t9", "海口市市民游客中心物业服务采购", "government", "services", "open", "460106", "1320000.00", "agency", "closed",
               started_days_ago=45),
    DemoTender("demo-t10", "琼山区农村公路改造工程", "works", "works", "open", "460107", "6750000.00", "agency", "closed",
               started_days_ago=40),
    DemoTender("demo-t11", "海口市第二中学校服采购项目", "government", "goods", "open", "460105", "520000.00", "purchaser", "terminated",
               started_days_ago=12),
    DemoTender("demo-t12", "海口湾灯塔公园景观提升工程", "works", "works", "open", "460106", "9400000.00", "agency", "amended",
               started_days_ago=20),
    DemoTender("demo-t13", "海口市第三中学多媒体教室设备采购项目", "government", "goods", "open", "460106", "2680000.00", "agency", "opened",
               started_days_ago=35),
    DemoTender("demo-t14", "海口市人民医院住院综合楼机电安装工程", "works", "works", "open", "460106", "7600000.00", "agency", "contract",
               started_days_ago=135, one_lot=True),
    DemoTender("demo-t15", "海口市人民医院检验科设备采购项目", "government", "goods", "open", "460106", "3200000.00", "purchaser", "contract",
               started_days_ago=90, one_lot=True),
)
# Three demo bidders and their prices, as a share of each lot's budget.
DEMO_OFFERS = {"supplier": Decimal("0.962"), "supplier2": Decimal("0.978"), "supplier3": Decimal("0.941")}
# Where each demo bidder's uploads come from (documentation addresses, RFC 5737): two bidders
# sharing one raise the supervisors' same_address alert after the deadline.
DEMO_ADDRESSES = {"supplier": "203.0.113.7", "supplier2": "203.0.113.7", "supplier3": "198.51.100.23"}
_REACH_ORDER = ("draft", "submitted", "accepted", "scheduled", "published")
# Tenders with a past are published first; what happens to them later is in _after_publication.
_PUBLISHED_THEN = {"closed": "published", "amended": "published", "terminated": "published", "opened": "published", "contract": "published"}


def _demo_draft(spec: DemoTender, now: datetime, purchaser_id: int) -> TenderDraft:
    # Documents from tomorrow 09:00 Beijing time for 10 days, bids due 25 days after the first day:
    # inside every limit of every method.
    first_day = (now + timedelta(days=1)).astimezone(DISPLAY_ZONE).replace(hour=9, minute=0, second=0, microsecond=0)
    budget = Decimal(spec.budget)
    half = (budget / 2).quantize(Decimal("0.01"))
    lots = [
        LotIn(title="第一包", budget=half, bid_security=(half * Decimal("0.02")).quantize(Decimal("0.01"))),
        LotIn(title="第二包", budget=budget - half, bid_security=Decimal("0.00"), evaluation_method="lowest_price"),
    ]
    if spec.one_lot:
        lots = [LotIn(title="全部内容", budget=budget, bid_security=(budget * Decimal("0.02")).quantize(Decimal("0.01")))]
    return TenderDraft(
        title=spec.title, track=spec.track, category=spec.category, method=spec.method, region=spec.region, budget=budget,
        purchaser_organisation_id=purchaser_id if spec.run_by == "agency" else None, green_channel=spec.green_channel,
        lots=lots,
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


async def _load_demo_tenders(platform: Platform, clock: FrozenClock, specs: tuple[DemoTender, ...] = DEMO_TENDERS) -> None:
    """One tender per demo spec (of ``specs``), taken as far as its ``reach``; tenders that exist are left alone.

    The specs run in order of their start, each on ``clock`` moved forward to it; whatever
    their past leaves to do in the present (amend, close at the deadline) is done last, at
    the real present.
    """
    present = platform.clock.now()
    past = replace(platform, clock=clock)
    created: list[tuple[DemoTender, int]] = []
    sealed: dict[int, list[demo_bids.SealedBid]] = {}
    for spec in sorted(specs, key=lambda spec: -spec.started_days_ago):
        clock.set(max(clock.now(), present - timedelta(days=spec.started_days_ago)))
        tender_id = await _create_demo_tender(past, spec)
        if tender_id is not None:
            created.append((spec, tender_id))
        if spec.reach in ("opened", "contract") and tender_id is not None:
            clock.advance(timedelta(days=2))  # documents on offer: the bidders obtain them and bid
            sealed[tender_id] = []
            for username, share in DEMO_OFFERS.items():  # an hour apart; on the opened tender two of them from one address (an alert)
                clock.advance(timedelta(hours=1))
                address = DEMO_ADDRESSES[username] if spec.reach == "opened" else ""
                sealed[tender_id] += await demo_bids.submit_bids(past, tender_id, {username: share}, client_ip=address)
        if spec.reach == "contract" and tender_id is not None:  # its whole past, before the next spec starts
            await evaluation_demo.take_to_contract(past, clock, spec.key, spec.run_by, tender_id, sealed.pop(tender_id))
        if spec.reach == "terminated" and tender_id is not None:
            clock.advance(timedelta(days=2))
            async with platform.db.transaction() as session:
                owner = await _actor(session, spec.run_by)
                await tenders.terminate(session, past, owner, tender_id, "采购需求发生重大变化，经采购人研究决定终止本项目。")
    clock.set(max(clock.now(), present))
    for spec, tender_id in created:
        async with platform.db.transaction() as session:
            if spec.reach == "amended":
                owner = await _actor(session, spec.run_by)
                await tenders.amend(session, past, owner, tender_id, "第一包技术参数第 3 项更正为“不低于 IP65 防护等级”；投标截止时间相应顺延。")
            if spec.reach in ("closed", "opened"):
                # Bidding closes at the deadline and the bids are counted: with none, every lot fails.
                await tenders.recheck(session, past, tender_id)
                await deadline.tally(session, past, tender_id)
        if spec.reach == "opened":
            await demo_bids.open_bids(past, tender_id, sealed[tender_id])
    await supervision.check_now(past)  # the risk checks the scheduler would run minutes later


async def _create_demo_tender(platform: Platform, spec: DemoTender) -> int | None:
    async with platform.db.transaction() as session:
        owner = await _actor(session, spec.run_by)
        purchaser = await _actor(session, "purchaser")
        existing = (
            await session.execute(select(Tender.id).where(Tender.owner_organisation_id == owner.organisation_id, Tender.idempotency_key == spec.key))
        ).scalar_one_or_none()
        if existing is not None:
            return None
        tender, _ = await tenders.create_draft(
            session, platform, owner, _demo_draft(spec, platform.clock.now(), purchaser.organisation_id), spec.key
        )
    # The tender documents go up with the draft, as an owner would do before submitting.
    await documents.upload(
        platform, owner,
        documents.UploadRequest(tender_id=tender.id, content_type="application/pdf", name="招标文件.pdf", kind=documents.DocumentKind.tender_documents),  # type: ignore[arg-type]
        _one_chunk(_demo_tender_documents(spec)),
    )
    async with platform.db.transaction() as session:
        owner = await _actor(session, spec.run_by)
        operator = await _actor(session, "operator")
        reach = _REACH_ORDER.index(_PUBLISHED_THEN.get(spec.reach, spec.reach))
        if reach >= 1:
            await tenders.submit(session, platform, owner, tender.id)  # type: ignore[arg-type]
        if reach >= 2:
            checklist = {item: True for item in tenders.CHECKLISTS[spec.method]}
            await tenders.review(session, platform, operator, tender.id, ReviewIn(decision="accepted", checklist=checklist))  # type: ignore[arg-type]
        if spec.reach == "scheduled":
            # An hour before the documents go on offer, whatever the time of day the demo loads.
            publish_at = as_utc(tender.documents_from) - timedelta(hours=1)
            await tenders.publish(session, platform, owner, tender.id, PublishIn(publish_at=publish_at))  # type: ignore[arg-type]
        elif reach >= 4:
            await tenders.publish(session, platform, owner, tender.id, PublishIn())  # type: ignore[arg-type]
        return tender.id


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


@cache  # the same bytes for the same spec: a demo loaded again (the tests load it many times) renders nothing
def _demo_tender_documents(spec: DemoTender) -> bytes:
    """A short tender-documents PDF for a demo tender (rendered once per tender, a few hundred ms)."""
    html = (
        "<html lang='zh-CN'><head><meta charset='utf-8'><link rel='stylesheet' href='pdf/document.css'></head><body>"
        f"<h1 class='doc-title'>{escape(spec.title)}</h1><h2>招标文件（示例）</h2>"
        "<p>本文件为演示数据，用于展示招标文件全程挂网、版本与哈希校验。</p>"
        "<h2>第一章 投标人须知</h2><p>投标人应在投标截止时间前通过平台递交加密投标文件，逾期送达的投标文件平台不予接收。</p>"
        "<h2>第二章 评标办法</h2><p>详见各包评标办法。</p></body></html>"
    )
    return _renderer().html_to_pdf(html)


@cache
def _renderer() -> PdfRenderer:
    return PdfRenderer(make_pdf_environment())  # fonts load once
