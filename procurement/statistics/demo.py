"""Demo data: a year of trades for the statistics, marked as demo data in every title.

About 150 projects published over the twelve months before now, across both tracks, the
three categories, five methods, five regions of Haikou and three purchasing units; most
awarded a few weeks after publication at 1-6 % under budget, some failed, some in the green
channel. Each award names three ranked candidates from a pool of demo suppliers, the first
the winner, so that its award page shows who won. Written in one transaction through the
tables (``bulk``), with one audit entry that records the batch and one ``notice.published``
entry per notice (written at load time, holding the notice's content hash, as the notices
service would); the risk checks run on them at once, as the scheduler would a few minutes
later. Idempotent: if the first demo project exists, nothing is written. Deterministic: the
same run gives the same figures and the same winners.
"""

from __future__ import annotations

import base64
import random
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.audit import service as audit
from procurement.identity import public_keys, schemas, service, sessions
from procurement.identity.models import OrganisationKind, Role, User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.statistics.bulk import Bidder, Candidate, Trade, insert_trades
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
# The suppliers whose bids the demo's awards rank. Ten, so that no three of them meet often
# enough in one region to look like bidders taking turns (the supervision rule 轮流中标).
BIDDERS = (
    ("91460100MA5TTJ001", "海南示例路桥工程有限公司"), ("91460100MA5TTJ002", "海口示例市政建设有限公司"),
    ("91460100MA5TTJ003", "海南示例智能科技有限公司"), ("91460100MA5TTJ004", "海南示例医疗器械有限公司"),
    ("91460100MA5TTJ005", "海口示例物业管理有限公司"), ("91460100MA5TTJ006", "海南示例教育装备有限公司"),
    ("91460100MA5TTJ007", "海南示例园林绿化工程有限公司"), ("91460100MA5TTJ008", "海南示例工程咨询有限公司"),
    ("91460100MA5TTJ009", "海口示例信息技术有限公司"), ("91460100MA5TTJ010", "海南示例综合服务有限公司"),
)
CANDIDATES = 3


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


async def _bidders(session: AsyncSession, platform: Platform) -> list[Bidder]:
    """The demo suppliers, each with one account and one signing key, made through the identity
    services. The account's password is random and kept nowhere: nobody logs in as them, and the
    key's private half is thrown away (their bids are written in bulk, never signed)."""
    bidders = []
    for n, (uscc17, name) in enumerate(BIDDERS, start=1):
        org = await service.system_create_organisation(
            session, platform, schemas.OrganisationCreate(uscc=make_uscc(uscc17), name=name, kind=OrganisationKind.supplier, region="460100"),
            via="demo",
        )
        user = await service.system_create_user(session, platform, org, schemas.UserCreate(
            username=f"stats-demo-bidder-{n}", display_name="投标经办人（演示）", password=secrets.token_urlsafe(18) + "Aa1", roles=[Role.supplier],
        ), via="demo")
        actor = await sessions.actor_for(session, user, via="bearer", session_id=None)
        raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        key = await public_keys.register_public_key(session, platform, actor, schemas.PublicKeyCreate(
            algorithm="ed25519", public_key=base64.b64encode(raw).decode(), label="演示密钥"))
        bidders.append(Bidder(org.id, user.id, key.id, org.name, org.uscc))  # type: ignore[arg-type]
    return bidders


def _candidates(rng: random.Random, bidders: Sequence[Bidder], award_fen: int) -> tuple[Candidate, ...]:
    """Three bidders ranked by score: the first at the award amount, the others a little above or below it."""
    scores = [rng.uniform(86, 96)]
    scores += [scores[-1] - rng.uniform(0.5, 4) for _ in range(CANDIDATES - 1)]
    prices = [award_fen] + [int(award_fen * (1 + rng.uniform(-0.02, 0.05))) for _ in range(CANDIDATES - 1)]
    return tuple(Candidate(bidder, price, f"{score:.2f}") for bidder, price, score in zip(rng.sample(bidders, CANDIDATES), prices, scores, strict=True))


def _trades(purchaser_ids: list[int], bidders: Sequence[Bidder], platform: Platform) -> list[Trade]:
    rng = random.Random(2018)
    picks = random.Random(2019)  # the candidates' own: the year's figures stay what they were without them
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
        if awarded:
            trades[-1] = replace(trades[-1], candidates=_candidates(picks, bidders, trades[-1].award_fen))  # type: ignore[arg-type]
    return trades


async def load_statistics_demo(platform: Platform) -> None:
    async with platform.db.transaction() as session:
        if (await session.execute(select(Tender.id).where(Tender.code == CODE.format(n=1)))).first() is not None:
            return
        names = await _purchasers(session, platform)
        reviewer = (await session.execute(select(User.id).where(User.username == "operator"))).scalar_one()
        trades = _trades(sorted(names), await _bidders(session, platform), platform)
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
