"""Demo blacklist: one entry in force, one expired, one lifted, and one proposal waiting.

Made through the same workflow a user's actions go through (operator proposes and attaches
the decision, the supervisor approves), at the present, so the audit log still reads
forward in time. The expired one is a decision recorded late (its period already over):
approved, it is expired at once, as the next sweep would. Idempotent: an entry whose USCC
is already on the list is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from procurement.actor import Actor
from procurement.credit import workflow
from procurement.credit.models import BlacklistEntry
from procurement.credit.schemas import EntryIn
from procurement.identity import sessions
from procurement.identity.models import User
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform


@dataclass(frozen=True)
class DemoEntry:
    uscc17: str
    name: str
    conduct: str
    penalty: str
    legal_basis: str
    authority: str
    started_days_ago: int
    years: int
    outcome: str  # in_force | expired | lifted | proposed


DEMO_ENTRIES = (
    DemoEntry("91460100MA5TCR001", "海南示例失信建设工程有限公司", "在海口市某道路工程投标中与其他投标人串通投标", "一年内禁止参加依法必须进行招标的项目的投标",
              "招标投标法 第五十三条", "海口市住房和城乡建设局", 40, 1, "in_force"),
    DemoEntry("91460100MA5TCR002", "海南示例虚假材料科技有限公司", "在政府采购活动中提供虚假材料谋取中标", "三年内禁止参加政府采购活动",
              "政府采购法 第七十七条", "海南省财政厅", 3 * 365 + 10, 3, "expired"),
    DemoEntry("91460100MA5TCR003", "海南示例设备供应有限公司", "拒绝与采购人签订政府采购合同", "一年内禁止参加政府采购活动",
              "政府采购法实施条例 第七十二条", "三亚市财政局", 100, 1, "lifted"),
    DemoEntry("91460100MA5TCR004", "海南示例物业服务有限公司", "以他人名义投标", "两年内禁止参加依法必须进行招标的项目的投标",
              "招标投标法 第五十四条", "儋州市发展和改革委员会", 5, 2, "proposed"),
)


async def _actor(platform: Platform, username: str) -> Actor | None:
    async with platform.db.transaction(write=False) as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
        return await sessions.actor_for(session, user, via="bearer", session_id=None) if user else None


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    yield data


async def load_credit_demo(platform: Platform) -> None:
    operator, supervisor = await _actor(platform, "operator"), await _actor(platform, "supervisor")
    if operator is None or supervisor is None:
        return
    today = workflow.today(platform)
    for spec in DEMO_ENTRIES:
        uscc = make_uscc(spec.uscc17)
        async with platform.db.transaction() as session:
            if (await session.execute(select(BlacklistEntry.id).where(BlacklistEntry.uscc == uscc).limit(1))).first():
                continue
            starts = today - timedelta(days=spec.started_days_ago)
            entry = await workflow.propose(session, platform, operator, EntryIn(
                uscc=uscc, organisation_name=spec.name, address="海南省海口市美兰区示例路 8 号", conduct=spec.conduct, penalty=spec.penalty,
                legal_basis=spec.legal_basis, authority=spec.authority, starts_on=starts,
                ends_on=starts.replace(year=starts.year + spec.years) - timedelta(days=1),
            ), via="demo")
            entry_id = entry.id
        decision = f"{spec.authority}\n行政处罚决定书（演示）\n当事人：{spec.name}\n统一社会信用代码：{uscc}\n依据：{spec.legal_basis}\n处罚：{spec.penalty}\n"
        await workflow.attach_decision(platform, operator, entry_id, _chunks(decision.encode()), content_type="text/plain; charset=utf-8",  # type: ignore[arg-type]
                                       content_length=None)
        if spec.outcome == "proposed":
            continue
        async with platform.db.transaction() as session:
            await workflow.approve(session, platform, supervisor, entry_id)  # type: ignore[arg-type]
            if spec.outcome == "expired":
                await workflow.expire(session, platform, entry_id)  # type: ignore[arg-type]
            elif spec.outcome == "lifted":
                await workflow.lift(session, platform, supervisor, entry_id, "行政复议决定撤销原处罚决定（演示）")  # type: ignore[arg-type]
