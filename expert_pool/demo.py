"""Demo expert pool: a specialty code tree, a few hundred experts across Hainan, and one completed draw.

Made through the platform's own services: the operator adds the specialty codes and imports
the experts as one CSV file (all rows checked, one audit entry), and the organisation running
the opened demo tender draws its committee (seed committed in the audit log first). The
experts are generated from a fixed seed, so every demo has the same pool: valid national IDs,
a few suspended or retired, some with ties to the demo suppliers (the draw excludes them) and
some away on the evaluation day. Idempotent: codes that exist, a pool that is loaded and a
tender already drawn are left alone.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from sqlalchemy import select

from expert_pool import csv_io, draws, schemas, service
from expert_pool.models import Expert
from expert_pool.national_id import make_national_id
from procurement.actor import Actor
from procurement.clock import to_display
from procurement.identity import sessions
from procurement.identity.models import User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.tenders.models import Tender

RNG_SEED = 20260105
POOL_SIZE = 300
# The demo's specialty code tree (评标专家专业分类, shortened): parents first.
SPECIALTIES = (
    ("A01", "建筑工程"), ("A01.01", "房屋建筑工程施工"), ("A01.02", "建筑装饰装修工程"),
    ("A02", "市政公用工程"), ("A02.01", "道路与桥梁工程"), ("A02.02", "给水排水工程"),
    ("A03", "园林绿化工程"), ("A03.01", "景观工程"),
    ("B01", "医疗设备"), ("B01.01", "医学影像设备"), ("B01.02", "医用耗材"),
    ("B02", "信息技术设备"), ("B02.01", "计算机及网络设备"),
    ("B03", "教学设备"), ("B03.01", "多媒体教学设备"),
    ("C01", "物业管理服务"), ("C02", "信息技术服务"), ("C02.01", "软件开发与系统集成"),
    ("D01", "工程造价"), ("D02", "财务与审计"),
)
LEAVES = tuple(code for code, _ in SPECIALTIES if not any(other.startswith(code + ".") for other, _ in SPECIALTIES))
# Haikou's districts, Sanya's, Danzhou and county-level cities: where the experts live.
REGIONS = ("460105", "460106", "460107", "460108", "460202", "460203", "460204", "460205", "460400", "469001", "469002", "469005")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐符云韩冯邢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文海燕建国志宏晓东红梅"
TITLES = ("高级工程师", "正高级工程师", "教授", "副教授", "主任医师", "高级会计师", "高级经济师")
# The demo suppliers (procurement/demo.py): ties to them keep an expert off their tenders.
DEMO_SUPPLIERS = tuple(make_uscc(code) for code in ("91460100MA5T00005", "91460100MA5T00007", "91460100MA5T00008"))
EMPLOYERS = tuple(make_uscc(f"12460000MB{n:07d}") for n in range(101, 141))
# The opened demo tender (a government goods purchase) and its committee: 4 experts + 1 purchaser's representative.
DRAWN_TENDER_KEY = "demo-t13"
DRAWN_TENDER_RUN_BY = "agency"
DRAW_SEATS = {"B03.01": 3, "B02.01": 1}
DRAW_RESERVES = {"B03.01": 2, "B02.01": 1}


def _row(rng: random.Random, n: int, today: date) -> dict[str, str]:
    region = rng.choice(REGIONS)
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(30 * 365))
    specialties = {rng.choice(LEAVES)}
    if rng.random() < 0.25:
        specialties.add(rng.choice(LEAVES))
    # Every demo tender's committee needs teaching and IT experts: a share of the pool holds them.
    if n % 6 == 0:
        specialties.add(rng.choice(("B03.01", "B02.01")))
    status, reason, until = "active", "", ""
    roll = rng.random()
    if roll < 0.03:
        status, reason, until = "suspended", "年度考核不合格，暂停评标资格", (today + timedelta(days=rng.randint(30, 300))).isoformat()
    elif roll < 0.05:
        status = "retired"
    relationships = []
    if rng.random() < 0.3:
        relationships.append(f"employer|{rng.choice(EMPLOYERS)}|2008-03-01|{2015 + rng.randrange(8)}-06-30")
    if rng.random() < 0.05:
        kind = rng.choice(("employer", "shareholding", "relative"))
        relationships.append(f"{kind}|{rng.choice(DEMO_SUPPLIERS)}|2019-01-01|" if kind == "employer" else f"{kind}|{rng.choice(DEMO_SUPPLIERS)}||")
    unavailable = ""
    if rng.random() < 0.05:
        start = today + timedelta(days=rng.randint(-3, 20))
        unavailable = f"{start.isoformat()}|{(start + timedelta(days=rng.randint(1, 10))).isoformat()}|出差"
    return {
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        # The sequence number is the row's, so no two demo experts share an ID.
        "national_id": make_national_id(f"{region}{born:%Y%m%d}{n % 1000:03d}"),
        "employer_uscc": rng.choice(EMPLOYERS), "title": rng.choice(TITLES), "years": str(rng.randint(8, 35)), "region": region,
        "phone": f"139{rng.randrange(10**8):08d}", "status": status, "suspension_reason": reason, "suspended_until": until,
        "qualification_expires": date(today.year + rng.randint(-1, 4), 12, 31).isoformat(), "username": "",
        "specialties": ";".join(sorted(specialties)), "relationships": ";".join(relationships), "unavailable": unavailable,
    }


def demo_pool_csv(today: date) -> bytes:
    """The demo pool as an import file: the same experts every time (the fixed seed), valid on ``today``."""
    rng = random.Random(RNG_SEED)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_io.IMPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for n in range(POOL_SIZE):
        writer.writerow(_row(rng, n, today))
    return out.getvalue().encode()


async def _actor(platform: Platform, username: str) -> Actor:
    async with platform.db.transaction(write=False) as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        return await sessions.actor_for(session, user, via="bearer", session_id=None)


async def load_expert_demo(platform: Platform) -> None:
    operator = await _actor(platform, "operator")
    today = to_display(platform.clock.now()).date()
    async with platform.db.transaction() as session:
        known = set(await service.specialty_ids(session))
        for code, name in SPECIALTIES:
            if code not in known:
                await service.create_specialty(session, platform, operator, schemas.SpecialtyIn(code=code, name=name))
    first_id = _row(random.Random(RNG_SEED), 0, today)["national_id"]  # the pool is loaded once, whole
    async with platform.db.transaction() as session:
        if (await session.execute(select(Expert.id).where(Expert.national_id == first_id))).first() is None:
            await csv_io.import_experts(session, platform, operator, demo_pool_csv(today), via="demo")
    await _draw(platform, today)


async def _draw(platform: Platform, today: date) -> None:
    """The opened demo tender's committee, drawn by the agency running it, for an evaluation today."""
    owner = await _actor(platform, DRAWN_TENDER_RUN_BY)
    async with platform.db.transaction() as session:
        tender = (await session.execute(select(Tender).where(Tender.owner_organisation_id == owner.organisation_id,
                                                              Tender.idempotency_key == DRAWN_TENDER_KEY))).scalar_one_or_none()
        if tender is None or tender.status not in draws.DRAW_STATES or await draws.draw_of(session, tender.id, None) is not None:  # type: ignore[arg-type]
            return
        await draws.make_draw(session, platform, owner, tender.id, draws.DrawIn(  # type: ignore[arg-type]
            seats=DRAW_SEATS, reserves=DRAW_RESERVES, purchaser_representatives=1, allowed_regions=["460000"], evaluation_date=today,
        ))

