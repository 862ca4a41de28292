"""Demo data: tenders taken past their opening to a recorded contract, one with an objection.

``procurement.demo`` publishes the tender and has the three demo bidders bid on its moved
clock; ``take_to_contract`` then plays everyone else's part, day by day, through the same
services the API uses: bidding closes and the bids are opened, the organiser draws the
committee (experts of a specialty only demo experts with accounts hold, so every drawn
expert can log in), the experts accept and check in, the committee checks, scores (each
member a little differently), reports and signs with Ed25519 keys made on the spot, the
candidates are publicised (on the works track a bidder objects and the organiser answers),
the purchaser confirms the first candidate, the letters go out and the contract is recorded
with a small PDF. The demo experts' accounts are made with the other demo accounts
(``EXPERT_USERS``); their pool rows are imported here, once, linked to those accounts.
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from html import escape

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from bidding import deadline
from bidding import demo as demo_bids
from bidding.award import contract
from bidding.award import service as award
from bidding.evaluation import report
from bidding.evaluation import service as evaluation
from expert_pool import csv_io, draws, invitations
from expert_pool import service as experts
from expert_pool.demo import SPECIALTIES
from expert_pool.models import Expert
from expert_pool.national_id import make_national_id
from expert_pool.schemas import SpecialtyIn
from procurement.actor import Actor
from procurement.clock import DISPLAY_ZONE, FrozenClock, as_utc, to_display
from procurement.documents import PdfRenderer
from procurement.identity import public_keys, schemas
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform
from procurement.tenders import service as tenders
from procurement.tenders.models import Tender
from procurement.web.templating import make_environment


@dataclass(frozen=True)
class DemoCommittee:
    """The experts one contract tender draws from: a specialty only they hold, each with a demo account."""

    specialty: str
    specialty_name: str
    experts: tuple[tuple[str, str], ...]  # (username, name): four are seated, one is drawn as the reserve


# By the key of the demo tender (procurement.demo.DEMO_TENDERS) whose committee they sit on.
COMMITTEES = {
    "demo-t14": DemoCommittee("A01.03", "建筑机电安装工程", (
        ("expert-works1", "符海生"), ("expert-works2", "陈立群"), ("expert-works3", "王晓梅"), ("expert-works4", "林志远"),
        ("expert-works5", "吴春燕"),
    )),
    "demo-t15": DemoCommittee("B01.03", "医学检验设备", (
        ("expert-goods1", "李文静"), ("expert-goods2", "周建华"), ("expert-goods3", "邢国栋"), ("expert-goods4", "云秀英"),
        ("expert-goods5", "黄志宏"),
    )),
}
EXPERT_USERS = tuple(expert for committee in COMMITTEES.values() for expert in committee.experts)
# Their employer: the demo's expert employer organisation (procurement.demo), where their accounts are.
EMPLOYER_USCC = make_uscc("12460000MB0000006")
SEATS, RESERVES = 4, 1  # with the purchaser's representative, a committee of five [招标投标法 第三十七条]
REPRESENTATIVE = "purchaser"
# How each demo bidder's offer reads to the committee (a share of each criterion's points), and how
# each member's judgement leans: close enough that the committee agrees, not identical.
QUALITY = {"supplier": Decimal("0.88"), "supplier2": Decimal("0.83"), "supplier3": Decimal("0.78")}
LEANING = (Decimal("-0.02"), Decimal("0.01"), Decimal("0.03"), Decimal("-0.01"), Decimal("0.00"))
OBJECTOR = "supplier3"  # the cheapest bidder, last on the comprehensive score
OBJECTION = "我公司第一包报价最低，但技术、商务得分明显低于第一中标候选人，请复核评标委员会的评分是否符合招标文件规定的评分标准。"
ANSWER = "经组织原评标委员会复核，各成员评分均在招标文件规定的评分标准范围内，计算无误，异议不成立。"


@dataclass
class Member:
    """A committee member's client: who they are and the signing key their browser would hold."""

    actor: Actor
    key_id: int
    key: Ed25519PrivateKey


async def take_to_contract(platform: Platform, clock: FrozenClock, key: str, run_by: str, tender_id: int,
                           bids: list[demo_bids.SealedBid]) -> None:
    """From the bid deadline to the contract, on ``clock`` (``platform``'s), for the demo tender ``key`` that ``run_by`` runs."""
    committee = COMMITTEES[key]
    await _load_experts(platform, committee)
    async with platform.db.transaction(write=False) as session:
        tender = await session.get(Tender, tender_id)
        assert tender is not None
        lots = [lot.number for lot in await tenders.lots_of(session, tender_id)]
    owner = await demo_bids._actor(platform, run_by)
    bid_deadline = as_utc(tender.bid_deadline)

    # Bidding closes at the deadline, the bids are counted and opened.
    clock.set(bid_deadline + timedelta(minutes=1))
    async with platform.db.transaction() as session:
        await tenders.recheck(session, platform, tender_id)
        await deadline.tally(session, platform, tender_id)
    await demo_bids.open_bids(platform, tender_id, bids)

    evaluation_day = to_display(bid_deadline).date() + timedelta(days=2)
    members = await _seat_committee(platform, clock, owner, tender_id, committee, evaluation_day)
    _at(clock, evaluation_day, time(9))
    by_bid = {bid.bid_id: bid.username for bid in bids}
    for lot in lots:
        await _evaluate(platform, clock, owner, members, tender_id, lot, by_bid)
    await _award(platform, clock, owner, tender, lots, objection=tender.track == "works")
    await _record_contracts(platform, clock, tender, lots)


@cache
def _renderer() -> PdfRenderer:
    # The app's environment: the report template speaks the platform's language (Chinese here).
    return PdfRenderer(make_environment())


def _at(clock: FrozenClock, day: date, moment: time) -> None:
    """Move the clock to ``moment`` (Beijing time) on ``day``; it never goes back."""
    clock.set(max(clock.now(), datetime.combine(day, moment, DISPLAY_ZONE)))


async def _load_experts(platform: Platform, committee: DemoCommittee) -> None:
    """The committee's specialty (and its parents) and its experts, linked to their accounts; once."""
    operator = await demo_bids._actor(platform, "operator")
    names = dict(SPECIALTIES) | {committee.specialty: committee.specialty_name}
    parts = committee.specialty.split(".")
    today = to_display(platform.clock.now()).date()
    async with platform.db.transaction() as session:
        known = set(await experts.specialty_ids(session))
        for code in (".".join(parts[:n]) for n in range(1, len(parts) + 1)):
            if code not in known:
                await experts.create_specialty(session, platform, operator, SpecialtyIn(code=code, name=names[code]))
        rows = _experts_csv(committee, today)
        first_id = next(csv.DictReader(io.StringIO(rows.decode())))["national_id"]
        if (await session.execute(select(Expert.id).where(Expert.national_id == first_id))).first() is None:
            await csv_io.import_experts(session, platform, operator, rows, via="demo")


def _experts_csv(committee: DemoCommittee, today: date) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_io.IMPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    offset = list(COMMITTEES.values()).index(committee) * len(committee.experts)
    for n, (username, name) in enumerate(committee.experts, start=offset):
        writer.writerow({
            # Sequence numbers from 900 up: the generated pool (expert_pool.demo) uses 000-299.
            "name": name, "national_id": make_national_id(f"460106{1968 + 3 * n}0{1 + n % 9}1{5 + n % 4}{900 + n:03d}"),
            "employer_uscc": EMPLOYER_USCC, "title": "高级工程师", "years": str(12 + n), "region": "460106", "phone": f"1397654{n:04d}",
            "status": "active", "suspension_reason": "", "suspended_until": "", "qualification_expires": date(today.year + 3, 12, 31).isoformat(),
            "username": username, "specialties": committee.specialty, "relationships": "", "unavailable": "",
        })
    return out.getvalue().encode()


async def _signing_key(platform: Platform, actor: Actor) -> Member:
    """A new Ed25519 key, registered as the member's client would register it."""
    key = Ed25519PrivateKey.generate()
    raw = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    async with platform.db.transaction() as session:
        registered = await public_keys.register_public_key(
            session, platform, actor, schemas.PublicKeyCreate(algorithm="ed25519", public_key=raw, label="评标签名密钥"))
    return Member(actor, registered.id, key)  # type: ignore[arg-type]


async def _seat_committee(platform: Platform, clock: FrozenClock, owner: Actor, tender_id: int, committee: DemoCommittee,
                          evaluation_day: date) -> list[Member]:
    """The draw, the seated experts' acceptances, their check-in on the day: the members (experts first)."""
    clock.advance(timedelta(hours=2))
    async with platform.db.transaction() as session:
        await draws.make_draw(session, platform, owner, tender_id, draws.DrawIn(
            seats={committee.specialty: SEATS}, reserves={committee.specialty: RESERVES}, purchaser_representatives=1,
            allowed_regions=["460000"], evaluation_date=evaluation_day,
        ))
    seated: list[tuple[Member, int]] = []
    for username, _ in committee.experts:
        actor = await demo_bids._actor(platform, username)
        async with platform.db.transaction() as session:
            invited = await invitations.mine(session, platform, actor)
        if not invited:
            continue  # the reserve
        clock.advance(timedelta(minutes=9))  # within the hour they have to answer
        async with platform.db.transaction() as session:
            await invitations.accept(session, platform, actor, invited[0].id)
        seated.append((await _signing_key(platform, actor), invited[0].id))
    representative = await _signing_key(platform, await demo_bids._actor(platform, REPRESENTATIVE))
    _at(clock, evaluation_day, time(8, 30))
    for member, invitation_id in seated:
        clock.advance(timedelta(minutes=4))
        async with platform.db.transaction() as session:
            await invitations.check_in(session, platform, member.actor, invitation_id, invitations.CheckInIn(conflict=False))
    return [member for member, _ in seated] + [representative]


async def _evaluate(platform: Platform, clock: FrozenClock, owner: Actor, members: list[Member], tender_id: int, lot: int,
                    by_bid: dict[int, str]) -> None:
    """One lot's evaluation: started, every member checks and scores every bid, the report drawn up and signed."""
    async with platform.db.transaction() as session:
        started = await evaluation.start(session, platform, owner, tender_id, lot, [members[-1].actor.user_id])  # type: ignore[list-item]
        scheme = evaluation.scheme_of(started)
        bid_ids: list[int] = [bid.id for bid in await evaluation.opened_bids(session, tender_id, lot)]  # type: ignore[misc]
    evaluation_id: int = started.id  # type: ignore[assignment]
    for member in members:  # qualification and compliance first: which bids are valid is settled before any scoring
        clock.advance(timedelta(minutes=6))
        async with platform.db.transaction() as session:
            await evaluation.sign_in(session, platform, member.actor, evaluation_id)
            for bid_id in bid_ids:
                await evaluation.record_check(session, platform, member.actor, evaluation_id, bid_id, True, "")
    for n, member in enumerate(members):
        clock.advance(timedelta(minutes=12))
        async with platform.db.transaction() as session:
            for bid_id in bid_ids if scheme.scored_criteria else ():
                share = QUALITY[by_bid[bid_id]] + LEANING[n % len(LEANING)]
                points = {c.code: (c.points * share).quantize(Decimal("0.01")) for c in scheme.scored_criteria}
                await evaluation.record_sheet(session, platform, member.actor, evaluation_id, bid_id, points)
            await evaluation.submit(session, platform, member.actor, evaluation_id)
    clock.advance(timedelta(minutes=20))
    async with platform.db.transaction() as session:
        drawn_up = await report.draw_up(session, platform, members[0].actor, evaluation_id, _renderer().render)
        digest = drawn_up.report_digest
    for member in members:
        clock.advance(timedelta(minutes=2))
        signature = base64.b64encode(member.key.sign(report.signed_message(digest, ""))).decode()
        async with platform.db.transaction() as session:
            await report.sign(session, platform, member.actor, evaluation_id, member.key_id, signature, "", _renderer().render)


async def _award(platform: Platform, clock: FrozenClock, owner: Actor, tender: Tender, lots: list[int], *, objection: bool) -> None:
    """The candidates' publicity (with an objection, answered), then the purchaser confirms each lot's first candidate."""
    async with platform.db.transaction(write=False) as session:
        rows = await award.lots_of(session, tender.id)  # type: ignore[arg-type]
    reported = to_display(clock.now()).date()
    if objection:
        _at(clock, reported + timedelta(days=1), time(10, 15))
        async with platform.db.transaction() as session:
            filed = await award.file_objection(session, platform, await demo_bids._actor(platform, OBJECTOR), tender.id, lots[0], OBJECTION)  # type: ignore[arg-type]
        _at(clock, reported + timedelta(days=2), time(15, 30))
        async with platform.db.transaction() as session:
            await award.answer_objection(session, platform, owner, filed.id, ANSWER)  # type: ignore[arg-type]
    ends = [as_utc(row.publicity_ends_at) for row in rows if row.publicity_ends_at is not None]
    clock.set(max([clock.now(), *ends]))
    _at(clock, to_display(clock.now()).date() + timedelta(days=0 if ends else 2), time(10))
    purchaser = await demo_bids._actor(platform, REPRESENTATIVE)
    for row in rows:
        async with platform.db.transaction() as session:
            await contract.recheck(session, platform, row.id)  # type: ignore[arg-type]  # the scheduler marks the publicity's end
        async with platform.db.transaction() as session:
            await award.confirm_award(session, platform, purchaser, tender.id, row.lot_number, 1)  # type: ignore[arg-type]


async def _record_contracts(platform: Platform, clock: FrozenClock, tender: Tender, lots: list[int]) -> None:
    """Both parties sign a week after the award; the purchaser records each lot's contract with its document."""
    signed_on = to_display(clock.now()).date() + timedelta(days=7)
    _at(clock, signed_on, time(16))
    purchaser = await demo_bids._actor(platform, REPRESENTATIVE)
    for lot in lots:
        kind = "施工合同" if tender.track == "works" else "政府采购合同"
        document = _contract_pdf(kind, tender.title, tender.code, lot, signed_on)
        await contract.record_contract(platform, purchaser, contract.ContractIn(
            tender_id=tender.id, lot_number=lot, signed_on=signed_on, name=f"{kind}（第{lot}包）.pdf",  # type: ignore[arg-type]
            content_type="application/pdf", content_length=len(document)), demo_bids._chunks(document))


@cache
def _contract_pdf(kind: str, title: str, code: str, lot: int, signed_on: date) -> bytes:
    """A short contract document (rendered once per process for the same facts: a demo loaded again renders nothing)."""
    return _renderer().html_to_pdf(
        "<html lang='zh-CN'><head><meta charset='utf-8'><link rel='stylesheet' href='pdf/document.css'></head><body>"
        f"<h1 class='doc-title'>{escape(title)}</h1><h2>{kind}（示例）</h2>"
        f"<p>项目编号：{escape(code)}，第 {lot} 包。本合同为演示数据，由采购人与中标人于 {signed_on.isoformat()} 签订，"
        "依据招标文件、中标人的投标文件和中标通知书订立。</p>"
        "<h2>第一条 合同价款</h2><p>合同价款为中标通知书载明的中标金额，包含完成合同约定全部内容的一切费用。</p>"
        "<h2>第二条 履约</h2><p>中标人按投标文件承诺的工期和质量标准履行合同。</p></body></html>"
    )
