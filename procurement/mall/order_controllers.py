"""Mall orders API: purchase limits, budgets, orders through acceptance and settlement, returns
after acceptance, mini-competitions and quotes, late orders and savings for the centre."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.params import HeaderParameter, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import DISPLAY_ZONE
from procurement.errors import N_, InvalidInput
from procurement.identity.models import Role
from procurement.mall import budgets, competitions, orders, returns
from procurement.mall import order_schemas as s
from procurement.mall.order_models import (
    Budget,
    Competition,
    Order,
    OrderItem,
    OrderReturn,
    ReturnItem,
    ReturnStatus,
)
from procurement.platform import Platform
from procurement.tenders.money import to_fen, to_yuan
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles

OrderId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the order's id")]
ReturnId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the return's id")]
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=64)]
CompetitionId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the competition's id")]
BUYERS = requires_roles(Role.purchaser)
SELLERS = requires_roles(Role.supplier)
PARTIES = requires_roles(Role.purchaser, Role.supplier, Role.operator, Role.supervisor)
WATCHERS = requires_roles(Role.operator, Role.supervisor)
PERIOD_FROM = Annotated[date, QueryParameter(name="from", description="the first Beijing date")]
PERIOD_TO = Annotated[date, QueryParameter(name="to", description="the last Beijing date, included")]


def budget_out(budget: Budget, name: str) -> s.BudgetOut:
    return s.BudgetOut(
        id=budget.id, organisation_id=budget.organisation_id, organisation_name=name, year=budget.year, amount=to_yuan(budget.amount_fen),  # type: ignore[arg-type]
        committed=to_yuan(budget.committed_fen), paid=to_yuan(budget.paid_fen), left=to_yuan(budget.amount_fen - budget.committed_fen),
    )


async def order_out(session: AsyncSession, platform: Platform, found: Order) -> s.OrderOut:
    lines = await orders.items(session, found.id)  # type: ignore[arg-type]
    by_id = {i.id: i for i in lines}
    names = await orders.names(session, {found.purchaser_organisation_id, found.supplier_organisation_id})
    fields = found.model_dump(include=set(s.OrderOut.model_fields))
    taken_back = await returns.of_order(session, found.id)  # type: ignore[arg-type]
    return s.OrderOut(
        **fields, purchaser_name=names[found.purchaser_organisation_id], supplier_name=names[found.supplier_organisation_id],
        total=to_yuan(found.total_fen), reference=to_yuan(found.reference_fen), savings=to_yuan(orders.order_savings(found, lines)),
        accepted=None if found.accepted_fen is None else to_yuan(found.accepted_fen),
        returned=to_yuan(sum(r.amount_fen for r, _ in taken_back if r.status == ReturnStatus.received)),
        return_until=returns.return_until(platform, found),
        items=[s.ItemOut(
            **i.model_dump(include=set(s.ItemOut.model_fields) - {"specifications"}), specifications=json.loads(i.specifications),
            unit_price=to_yuan(i.unit_price_fen), reference_unit_price=to_yuan(i.reference_unit_fen),
        ) for i in lines],
        returns=[return_out(r, r_lines, by_id) for r, r_lines in taken_back],  # type: ignore[arg-type]
    )


def return_out(row: OrderReturn, lines: list[ReturnItem], items: dict[int, OrderItem]) -> s.ReturnOut:
    return s.ReturnOut(
        **row.model_dump(include=set(s.ReturnOut.model_fields) - {"amount", "items", "agreed_automatically"}), amount=to_yuan(row.amount_fen),
        agreed_automatically=row.answered_at is not None and row.answered_by is None and row.status != ReturnStatus.refused,
        items=[s.ReturnLineOut(item_id=line.order_item_id, name=items[line.order_item_id].name, quantity=line.quantity,
                               unit_price=to_yuan(items[line.order_item_id].unit_price_fen)) for line in lines],
    )


async def one_return_out(session: AsyncSession, row: OrderReturn) -> s.ReturnOut:
    items = {i.id: i for i in await orders.items(session, row.order_id)}
    lines = next(r_lines for r, r_lines in await returns.of_order(session, row.order_id) if r.id == row.id)
    return return_out(row, lines, items)  # type: ignore[arg-type]


async def competition_out(session: AsyncSession, actor: CurrentActor, found: Competition) -> s.CompetitionOut:
    quotes = await competitions.visible_quotes(session, actor, found)
    names = await orders.names(session, {found.purchaser_organisation_id, *(q.supplier_organisation_id for q in quotes)})
    return s.CompetitionOut(
        **found.model_dump(include=set(s.CompetitionOut.model_fields) - {"specifications", "quotes", "ceiling", "purchaser_name"}),
        purchaser_name=names[found.purchaser_organisation_id], specifications=json.loads(found.specifications), ceiling=to_yuan(found.ceiling_fen),
        quotes=[s.QuoteOut(
            **q.model_dump(include=set(s.QuoteOut.model_fields) - {"specifications", "supplier_name", "unit_price"}),
            supplier_name=names[q.supplier_organisation_id], unit_price=to_yuan(q.unit_price_fen), specifications=json.loads(q.specifications),
        ) for q in quotes],
    )


async def late_out(session: AsyncSession, platform: Platform) -> list[s.LateOrderOut]:
    found = await orders.late(session, platform)
    names = await orders.names(session, {o.purchaser_organisation_id for _, o in found} | {o.supplier_organisation_id for _, o in found})
    return [s.LateOrderOut(
        id=o.id, kind=kind, purchaser_name=names[o.purchaser_organisation_id], supplier_name=names[o.supplier_organisation_id],  # type: ignore[arg-type]
        status=o.status, placed_at=o.placed_at, due=o.confirm_by if kind == "confirmation" else o.requested_date,
    ) for kind, o in found]


# Orders exist from the platform's start; far dates would overflow the conversion to UTC.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """Beijing dates, both included, as the UTC moments [from, to)."""
    for field, day in (("query.from", start), ("query.to", end)):
        if not EARLIEST <= day <= LATEST:
            raise InvalidInput.for_field(field, N_("must be a date from %(first)s to %(last)s"), first=EARLIEST.isoformat(), last=LATEST.isoformat())
    if end < start:
        raise InvalidInput.for_field("query.to", N_("must not be before the first date"))
    return (datetime.combine(start, time(), DISPLAY_ZONE), datetime.combine(end + timedelta(days=1), time(), DISPLAY_ZONE))


def savings_out(rows: list[orders.Savings]) -> list[s.SavingsRow]:
    return [s.SavingsRow(key=r.key, label=r.label, orders=r.orders, reference=to_yuan(r.reference_fen), paid=to_yuan(r.paid_fen),
                         savings=to_yuan(r.savings_fen), rate=r.rate) for r in rows]


class MallOrderController(Controller):
    path = "/api/mall"
    tags = ["Mall orders"]

    @get("/purchase-rules", summary="The purchase limits of a region (集中采购目录及限额标准)",
         description="The direct-purchase limit (an order at or above it needs a mini-competition), the category codes that must be "
         "bought through the mall (sub-categories included) and the tender threshold below which a tender for them is refused, "
         "for a region code; the defaults when the region has no rules of its own.")
    async def rules(self, platform: PlatformDep, region: Annotated[str, QueryParameter(max_length=64)] = "") -> s.RulesOut:
        rules = budgets.rules_for(platform.settings, region)
        return s.RulesOut(region=region, direct_threshold=to_yuan(rules.direct_threshold_fen),
                          tender_threshold=to_yuan(rules.tender_threshold_fen), mall_categories=list(rules.mall_categories))

    @get("/budgets", guards=[requires_roles(Role.purchaser, Role.admin, Role.operator, Role.supervisor)], summary="Mall budgets",
         description="All units' for the centre and supervisors; the caller's unit's otherwise.")
    async def budgets(self, session: DbSession, actor: CurrentActor, year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None) -> list[s.BudgetOut]:
        return [budget_out(b, name) for b, name in await budgets.budgets(session, actor, year=year)]

    @put("/budgets", guards=[requires_roles(Role.operator, Role.admin)], summary="Set a unit's budget for a year",
         description="Operators for any purchasing unit; a unit's admin for its own. Not below what orders already committed.")
    async def set_budget(self, data: s.BudgetIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.BudgetOut:
        budget = await budgets.set_budget(session, platform, actor, data.organisation_id, data.year, to_fen(data.amount))
        return budget_out(budget, (await orders.names(session, {data.organisation_id}))[data.organisation_id])

    @post("/orders", guards=[BUYERS], status_code=201, summary="Check out: place one order per supplier",
          description="Direct purchase below the region's limit. Each product must be on sale, delivered to the region, with stock, "
          "and its supplier neither sanctioned nor blacklisted (the refusal names the entry); the total is reserved against the unit's "
          "budget for the year. Repeating the request with the same `Idempotency-Key` returns the first orders (200).")
    async def place(
        self, data: s.OrderIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[list[s.OrderOut]]:
        placed, created = await orders.place(session, platform, actor, data, idempotency_key)
        return Response([await order_out(session, platform, o) for o in placed], status_code=201 if created else 200)

    @get("/orders", guards=[PARTIES], summary="Orders", description="The caller's unit's (as purchaser or supplier); all for the centre and supervisors.")
    async def orders(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, status: Annotated[str | None, QueryParameter(max_length=16)] = None) -> list[s.OrderOut]:
        return [await order_out(session, platform, o) for o in await orders.orders(session, actor, status=status)]

    @get("/orders/{order_id:int}", guards=[PARTIES], summary="An order with its items")
    async def order(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.order(session, actor, order_id))

    @post("/orders/{order_id:int}/confirm", guards=[SELLERS], status_code=200, summary="The supplier confirms the order")
    async def confirm(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.confirm(session, platform, actor, order_id))

    @post("/orders/{order_id:int}/refuse", guards=[SELLERS], status_code=200, summary="The supplier refuses the order, with a reason")
    async def refuse(self, data: s.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.refuse(session, platform, actor, order_id, data.reason))

    @post("/orders/{order_id:int}/cancel", guards=[BUYERS], status_code=200, summary="The purchaser cancels an order not yet shipped")
    async def cancel(self, data: s.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.cancel(session, platform, actor, order_id, data.reason))

    @post("/orders/{order_id:int}/ship", guards=[SELLERS], status_code=200, summary="The supplier ships, with the delivery note")
    async def ship(self, data: s.ShipIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.ship(session, platform, actor, order_id, data.delivery_note))

    @post("/orders/{order_id:int}/acceptance", guards=[BUYERS], status_code=200, summary="验收: accept or reject each item",
          description="A result for every item: the units accepted, and a reason when fewer than ordered. Rejected units go back to the "
          "supplier and their amount back to the budget; nothing accepted makes the order `rejected`.")
    async def accept(self, data: s.AcceptanceIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.accept(session, platform, actor, order_id, data))

    @post("/orders/{order_id:int}/invoice", guards=[SELLERS], status_code=200, summary="The supplier records its invoice for the accepted amount")
    async def invoice(self, data: s.InvoiceIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.invoice(session, platform, actor, order_id, data.number, to_fen(data.amount)))

    @post("/orders/{order_id:int}/payment", guards=[BUYERS], status_code=200, summary="The purchaser confirms the payment: settled (结算)")
    async def pay(self, data: s.PaymentIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> s.OrderOut:
        return await order_out(session, platform, await orders.pay(session, platform, actor, order_id, data.reference))

    @post("/orders/{order_id:int}/returns", guards=[BUYERS], status_code=201, summary="Ask to return accepted units (退货)",
          description="The order's purchasing unit, while the order is accepted, invoiced or settled and until `return_until`: for each "
          "item at most the units accepted less those returned or being returned, with a reason. The supplier answers by `answer_by`, "
          "else the return is agreed automatically. Repeating the request with the same `Idempotency-Key` returns the first return (200).")
    async def ask_return(self, data: s.ReturnIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId,
                         idempotency_key: IdempotencyKey = None) -> Response[s.ReturnOut]:
        row, created = await returns.request(session, platform, actor, order_id, data, idempotency_key)
        return Response(await one_return_out(session, row), status_code=201 if created else 200)

    @post("/orders/{order_id:int}/returns/{return_id:int}/agree", guards=[SELLERS], status_code=200, summary="The supplier agrees to a return")
    async def agree_return(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId,
                           return_id: ReturnId) -> s.ReturnOut:
        return await one_return_out(session, await returns.agree(session, platform, actor, order_id, return_id))

    @post("/orders/{order_id:int}/returns/{return_id:int}/refuse", guards=[SELLERS], status_code=200, summary="The supplier refuses a return, with a reason")
    async def refuse_return(self, data: s.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId,
                            return_id: ReturnId) -> s.ReturnOut:
        return await one_return_out(session, await returns.refuse(session, platform, actor, order_id, return_id, data.reason))

    @post("/orders/{order_id:int}/returns/{return_id:int}/withdraw", guards=[BUYERS], status_code=200,
          summary="The purchasing unit withdraws a return before sending the goods")
    async def withdraw_return(self, data: s.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId,
                              return_id: ReturnId) -> s.ReturnOut:
        return await one_return_out(session, await returns.withdraw(session, platform, actor, order_id, return_id, data.reason))

    @post("/orders/{order_id:int}/returns/{return_id:int}/sent", guards=[BUYERS], status_code=200,
          summary="The purchasing unit records the goods sent back")
    async def send_return(self, data: s.ReturnSentIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId,
                          return_id: ReturnId) -> s.ReturnOut:
        return await one_return_out(session, await returns.send(session, platform, actor, order_id, return_id, data.shipping_note))

    @post("/orders/{order_id:int}/returns/{return_id:int}/received", guards=[SELLERS], status_code=200,
          summary="The supplier confirms the goods came back: stock, budget and the order's amounts follow",
          description="An invoiced order needs the credit note (红字发票) number, a settled one the refund's reference, in `reference`.")
    async def receive_return(self, data: s.ReturnReceivedIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                             order_id: OrderId, return_id: ReturnId) -> s.ReturnOut:
        return await one_return_out(session, await returns.receive(session, platform, actor, order_id, return_id, data.reference))

    @get("/late-orders", guards=[WATCHERS], summary="Late confirmations and deliveries")
    async def late(self, session: DbSession, platform: PlatformDep) -> list[s.LateOrderOut]:
        return await late_out(session, platform)

    @get("/savings", guards=[WATCHERS], summary="Savings by unit, category or month",
         description="E-commerce reference (else the ceiling) minus the price paid, over orders placed between the two Beijing dates.")
    async def savings(
        self, session: DbSession, period_from: PERIOD_FROM, period_to: PERIOD_TO,
        group_by: Annotated[str, QueryParameter(pattern="^(unit|category|month)$")] = "unit",
    ) -> list[s.SavingsRow]:
        start, end = period(period_from, period_to)
        return savings_out(await orders.mall_savings(session, start, end, group_by))

    @post("/competitions", guards=[BUYERS], status_code=201, summary="Post a mini-competition (竞价)",
          description="Ceiling × quantity is reserved against the unit's budget until the close.")
    async def post_competition(self, data: s.CompetitionIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.CompetitionOut:
        return await competition_out(session, actor, await competitions.post(session, platform, actor, data))

    @get("/competitions", guards=[PARTIES], summary="Mini-competitions",
         description="Purchasers: their unit's; suppliers: the open ones and those they quoted in; the centre and supervisors: all.")
    async def competitions(self, session: DbSession, actor: CurrentActor, status: Annotated[str | None, QueryParameter(max_length=16)] = None) -> list[s.CompetitionOut]:
        return [await competition_out(session, actor, c) for c in await competitions.competitions(session, actor, status=status)]

    @get("/competitions/{competition_id:int}", guards=[PARTIES], summary="A mini-competition; quotes sealed until the close")
    async def competition(self, session: DbSession, actor: CurrentActor, competition_id: CompetitionId) -> s.CompetitionOut:
        return await competition_out(session, actor, await competitions.competition(session, actor, competition_id))

    @post("/competitions/{competition_id:int}/cancel", guards=[BUYERS], status_code=200, summary="Cancel an open competition before its deadline")
    async def cancel_competition(self, data: s.ReasonIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                                 competition_id: CompetitionId) -> s.CompetitionOut:
        return await competition_out(session, actor, await competitions.cancel(session, platform, actor, competition_id, data.reason))

    @put("/competitions/{competition_id:int}/quote", guards=[SELLERS], summary="Submit or revise the supplier's quote before the deadline")
    async def quote(self, data: s.QuoteIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    competition_id: CompetitionId) -> s.QuoteOut:
        row = await competitions.quote(session, platform, actor, competition_id, data)
        name = (await orders.names(session, {row.supplier_organisation_id}))[row.supplier_organisation_id]
        return s.QuoteOut(**row.model_dump(include=set(s.QuoteOut.model_fields) - {"specifications", "supplier_name", "unit_price"}),
                          supplier_name=name, unit_price=to_yuan(row.unit_price_fen), specifications=json.loads(row.specifications))
