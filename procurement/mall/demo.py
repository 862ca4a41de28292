"""Demo mall: a category tree, two framework agreements, approved suppliers and a few hundred
products with e-commerce reference prices; some held or blocked for their price.

Made through the services, as users would. One supplier is the credit demo's blacklisted
company (海南示例失信建设工程有限公司): it is onboarded and lists before the credit demo
puts its entry in force, so its products then vanish from sale by the query-time filter.
Idempotent: nothing is done once the first demo agreement exists.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from procurement.actor import Actor
from procurement.identity import schemas as identity_schemas
from procurement.identity import service as identity
from procurement.identity import sessions
from procurement.identity.models import OrganisationKind, Role, User
from procurement.identity.uscc import make_uscc
from procurement.mall import agreements, catalogue, onboarding
from procurement.mall.models import Agreement, PriceReview, ReviewStatus
from procurement.mall.order_demo import load_order_demo
from procurement.mall.sanctions import beijing_today
from procurement.mall.schemas import ProductIn, ReferenceIn
from procurement.platform import Platform

FIRST_AGREEMENT = "HK-KJ-DEMO-001"
BLACKLISTED = ("91460100MA5TCR001", "海南示例失信建设工程有限公司", "mall-demo-blacklisted")
# (code, name, parent code)
CATEGORIES = (
    ("A02", "办公设备", None), ("A0201", "计算机", "A02"), ("A020101", "台式计算机", "A0201"), ("A020102", "便携式计算机", "A0201"),
    ("A0202", "打印机", "A02"), ("A06", "办公家具", None), ("A0601", "办公椅", "A06"), ("A0602", "办公桌", "A06"),
)
# category code → (brands, product noun, base price in yuan, attribute sets)
LINES = {
    "A020101": (("联想", "惠普", "戴尔", "华为"), "台式计算机", 4200, ({"CPU": "Intel i5", "内存": "16GB", "硬盘": "512GB SSD"},
                                                           {"CPU": "Intel i7", "内存": "32GB", "硬盘": "1TB SSD"})),
    "A020102": (("联想", "华为", "惠普"), "笔记本电脑", 5600, ({"屏幕": "14英寸", "内存": "16GB"}, {"屏幕": "16英寸", "内存": "32GB"})),
    "A0202": (("惠普", "佳能", "兄弟"), "激光打印机", 1500, ({"类型": "黑白激光", "幅面": "A4"}, {"类型": "彩色激光", "幅面": "A4"})),
    "A0601": (("西昊", "永艺", "震旦"), "办公椅", 900, ({"材质": "网布", "扶手": "3D"}, {"材质": "真皮", "扶手": "固定"})),
    "A0602": (("震旦", "圣奥"), "办公桌", 1800, ({"尺寸": "1.4米", "材质": "钢木"}, {"尺寸": "1.6米", "材质": "实木贴皮"})),
}


async def _actor(platform: Platform, username: str) -> Actor | None:
    async with platform.db.transaction(write=False) as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
        return await sessions.actor_for(session, user, via="bearer", session_id=None) if user else None


async def _blacklisted_supplier(platform: Platform) -> Actor:
    uscc17, name, username = BLACKLISTED
    async with platform.db.transaction() as session:
        org = await identity.find_organisation(session, make_uscc(uscc17))
        if org is None:
            org = await identity.system_create_organisation(session, platform, identity_schemas.OrganisationCreate(
                uscc=make_uscc(uscc17), name=name, kind=OrganisationKind.supplier, region="460100"), via="demo")
        if (await session.execute(select(User.id).where(User.username == username))).first() is None:
            # Nobody logs in as it: the password is random and not kept.
            await identity.system_create_user(session, platform, org, identity_schemas.UserCreate(
                username=username, display_name="失信企业经办人（演示）", password=secrets.token_urlsafe(18) + "Aa1", roles=[Role.supplier]), via="demo")
    actor = await _actor(platform, username)
    assert actor is not None
    return actor


async def load_mall_demo(platform: Platform) -> None:
    operator = await _actor(platform, "operator")
    supplier_actors = [await _actor(platform, name) for name in ("supplier", "supplier2", "supplier3")]
    if operator is None or None in supplier_actors:
        return
    async with platform.db.transaction(write=False) as session:
        if (await session.execute(select(Agreement.id).where(Agreement.number == FIRST_AGREEMENT))).first():
            return
    suppliers = [a for a in supplier_actors if a is not None] + [await _blacklisted_supplier(platform)]
    today = beijing_today(platform)
    async with platform.db.transaction() as session:
        ids: dict[str, int] = {}
        for code, name, parent in CATEGORIES:
            node = await agreements.create_category(session, platform, operator, code=code, name=name, parent_id=ids.get(parent) if parent else None)
            ids[code] = node.id  # type: ignore[assignment]
        terms = (
            agreements.AgreementTerms(FIRST_AGREEMENT, "海口市计算机及打印设备框架协议（演示）", "海口市", today - timedelta(days=100),
                                      today + timedelta(days=265), (ids["A02"],)),
            agreements.AgreementTerms("HK-KJ-DEMO-002", "海口市办公家具框架协议（演示）", "海口市", today - timedelta(days=30),
                                      today + timedelta(days=335), (ids["A06"],)),
        )
        made = [await agreements.create_agreement(session, platform, operator, t) for t in terms]
    for index, supplier in enumerate(suppliers):
        for agreement, root in zip(made, ("A02", "A06"), strict=True):
            async with platform.db.transaction() as session:
                application = await onboarding.apply(
                    session, platform, supplier, agreement_id=agreement.id, category_ids=[ids[root]], statement="演示供应商，具备授权与售后网点。",  # type: ignore[arg-type]
                )
            await onboarding.attach_document(platform, supplier, application.id, "营业执照（演示）.txt", _chunks("营业执照（演示）".encode()),  # type: ignore[arg-type]
                                             content_type="text/plain; charset=utf-8", content_length=None)
            async with platform.db.transaction() as session:
                await onboarding.decide(session, platform, operator, application.id, approve=True, reason="材料齐全（演示）")  # type: ignore[arg-type]
        async with platform.db.transaction() as session:
            await _list_products(session, platform, operator, supplier, index, made, ids)
    purchaser = await _actor(platform, "purchaser")
    if purchaser is not None:  # orders: budgets, an order in every state, a mini-competition
        await load_order_demo(platform, operator, purchaser, suppliers[:3])


async def _list_products(session, platform, operator, supplier, index, made, ids) -> None:  # type: ignore[no-untyped-def]
    """About 80 products for each supplier; every 15th priced well above its references (held for review)."""
    number = 0
    for code, (brands, noun, base, attribute_sets) in LINES.items():
        agreement = made[0] if code.startswith("A02") else made[1]
        for brand in brands:
            for variant in range(6):
                number += 1
                attributes = attribute_sets[variant % len(attribute_sets)]
                price = (Decimal(base) * (Decimal("0.85") + Decimal(variant) / 10 + Decimal(index) / 50)).quantize(Decimal(1))
                product = await catalogue.create_product(session, platform, supplier, ProductIn(
                    agreement_id=agreement.id, category_id=ids[code], name=f"{brand} {noun} {code[-2:]}{index}{variant:02d}",
                    brand=brand, model=f"{brand[:1]}{code[-3:]}-{index}{variant:02d}", specifications=attributes, stock=20 + variant * 5,
                    delivery_regions=["海口市", "三亚市"] if variant % 2 else ["海口市"], lead_time_days=2 + variant % 4,
                    price=price, ceiling=(price * Decimal("1.08")).quantize(Decimal("0.01")),
                ))
                # Held for review when far above the e-commerce sites; otherwise close to them.
                share = Decimal("0.75") if number % 15 == 0 else Decimal("0.97")
                for source, step in (("jd", Decimal(0)), ("tmall", Decimal("0.03"))):
                    await catalogue.add_reference(session, platform, operator, product.id, ReferenceIn(
                        source=source, url=f"https://example.com/{source}/{product.id}", price=(price * (share + step)).quantize(Decimal("0.01")),
                        observed_on=beijing_today(platform) - timedelta(days=2),
                    ), via="demo")
                if number % 30 == 0:  # a held price the operator refused: blocked until the supplier lowers it
                    review = (await session.execute(select(PriceReview).where(
                        PriceReview.product_id == product.id, PriceReview.status == ReviewStatus.pending))).scalar_one()
                    await catalogue.decide_review(session, platform, operator, review.id, approve=False, reason="明显高于电商平台价格（演示）")  # type: ignore[arg-type]


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    yield data
