"""Demo data: a year of trades for the statistics, marked as demo data in every title.

About 150 projects published over the twelve months before now, across both tracks, the
three categories, five methods, five regions of Haikou and three purchasing units; most
awarded a few weeks after publication at 1-6 % under budget, some failed, some in the green
channel. Written in one transaction through the tables (``bulk``), with one audit entry
that records the batch and one ``notice.published`` entry per notice (written at load time,
holding the notice's content hash, as the notices service would); the risk checks run on them at
once, as the scheduler would a few minutes later. Idempotent: if the first demo
project exists, nothing is written. Deterministic: the same run gives the same figures.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.audit import service as audit
from procurement.identity import schemas, service
from procurement.identity.models import OrganisationKind, User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.statistics.bulk import Trade, insert_trades
from procurement.supervision import service as supervision
from procurement.tenders.models import Notice, Tender

MARK = "【演示数据】"
CODE = "DEMO-STATS-{n:04d}"
PROJECTS = 150
REGIONS = ("460105", "460106", "460107", "460108", "460100")
# (track, category, methods, subject, budget range in 10,000 yuan)
KINDS = (
    ("works", "works", ("open", "invited"), ("道路改造工程", "学校教学楼建设工程", "污水管网工程", "公园景观提升工程"), (200, 9000)),
    ("government", "goods", ("open", "quotation", "negotiation"), ("教学设备采购", "医疗设备采购", "办公家具采购", "信息化设备采购"), (30, 1500)),
    ("government", "services", ("open", "consultation"), ("物业管理服务", "信息系统运维服务", "保洁服务", "审计服务"), (20, 800)),
)
PURCHASERS = (("12460100MB0000003", None), ("11460100MB0000041", "海口市教育局"), ("11460100MB0000042", "海口市交通运输和港航管理局"))


async def _purchasers(session: AsyncSession, platform: Platform) -> dict[int, str]:
    found: dict[int, str] = {}
    for uscc17, name in PURCHASERS:
        org = await service.find_organisation(session, make_uscc(uscc17))
        if org is None and name:
            org = await service.system_create_organisation(
                session, platform, schemas.OrganisationCreate(uscc=make_uscc(uscc17), name=name, kind=OrganisationKind.purchaser, region="460100"),
                via="demo",
            )
        if org is not None:
            found[org.id] = org.name  # type: ignore[index]
    return found


def _trades(purchaser_ids: list[int], platform: Platform) -> list[Trade]:
    rng = random.Random(2018)
    now = platform.clock.now()
    trades = []
    for n in range(1, PROJECTS + 1):
        track, category, methods, subjects, (low, high) = rng.choice(KINDS)
        published = now - timedelta(days=rng.uniform(45, 365), hours=rng.randint(0, 8))
        budget_fen = rng.randint(low, high) * 10_000 * 100
        outcome = rng.random()
        awarded = outcome < 0.85
        green = rng.random() < 0.2
        trades.append(Trade(
            code=CODE.format(n=n), title=f"{MARK}{rng.choice(('海口市', '美兰区', '龙华区', '秀英区', '琼山区'))}{rng.choice(subjects)}（{n}）",
            track=track, category=category, method=rng.choice(methods), region=rng.choice(REGIONS), purchaser_id=rng.choice(purchaser_ids),
            budget_fen=budget_fen, published_at=published,
            award_fen=int(budget_fen * (1 - rng.uniform(0.01, 0.06))) if awarded else None,
            awarded_at=published + timedelta(days=rng.uniform(25, 40)) if awarded else None,
            failed_at=published + timedelta(days=21, hours=1) if not awarded and outcome < 0.95 else None,
            green_channel=green, submitted_days=rng.uniform(0.5, 1.5) if green else rng.uniform(2, 6),
            review_hours=rng.uniform(2, 8) if green else rng.uniform(12, 30),
        ))
    return trades


async def load_statistics_demo(platform: Platform) -> None:
    async with platform.db.transaction() as session:
        if (await session.execute(select(Tender.id).where(Tender.code == CODE.format(n=1)))).first() is not None:
            return
        names = await _purchasers(session, platform)
        reviewer = (await session.execute(select(User.id).where(User.username == "operator"))).scalar_one()
        trades = _trades(sorted(names), platform)
        entry = await audit.record(session, platform.clock, None, "statistics.demo_loaded", subject_type="tender",
                                   details={"projects": len(trades), "codes": [trades[0].code, trades[-1].code], "demo": True})
        ids = await insert_trades(session, trades, reviewer_id=reviewer, names=names, audit=(entry.seq, entry.entry_hash))
        await _log_notices(session, platform, ids)
    # The risk checks the scheduler would run on these tenders (small purchases that add up raise
    # split-purchase alerts): now, so a second demo run finds nothing left to check.
    await supervision.check_now(platform)


async def _log_notices(session: AsyncSession, platform: Platform, tender_ids: list[int]) -> None:
    """Each demo notice gets its own ``notice.published`` entry, as the notices service writes one,
    so that its page and PDF point at an entry holding its content hash (written now: a past
    loaded, not a past pretended)."""
    notices = (await session.execute(select(Notice).where(Notice.tender_id.in_(tender_ids)).order_by(Notice.id))).scalars()  # type: ignore[attr-defined]
    for notice in notices:
        tender = await session.get(Tender, notice.tender_id)
        assert tender is not None
        entry = await audit.record(
            session, platform.clock, None, "notice.published", subject_type="tender", subject_id=notice.tender_id,
            organisation_id=tender.owner_organisation_id,
            details={"notice_number": notice.number, "kind": notice.kind, "content_sha256": notice.content_sha256, "demo": True},
        )
        notice.audit_seq, notice.audit_entry_hash = entry.seq, entry.entry_hash
        session.add(notice)
    await session.flush()
