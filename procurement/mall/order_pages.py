"""Mall order pages: the purchaser's cart, orders, acceptance, settlement and returns,
mini-competitions and budget; the supplier's orders to confirm and ship, returns to answer, and
quotes; the centre's late orders and savings. Every form goes through the same services as the API."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from procurement.clock import to_display
from procurement.errors import N_, DomainError, InvalidInput
from procurement.identity.models import Role
from procurement.mall import (
    agreements,
    budgets,
    competitions,
    orders,
    returns,
    sanctions,
)
from procurement.mall import order_schemas as s
from procurement.mall.order_controllers import (
    CompetitionId,
    MallOrderController,
    OrderId,
    competition_out,
    late_out,
    order_out,
    period,
    savings_out,
)
from procurement.mall.order_documents import MallOrderDocuments
from procurement.mall.order_models import (
    CompetitionStatus,
    OrderStatus,
    QuoteStatus,
    ReturnStatus,
)
from procurement.mall.pages import FORM_AGAIN, Form, _specifications, yuan
from procurement.tenders.money import to_fen
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles
from procurement.web.pages import form_errors, page

ORDER_LABELS = {
    OrderStatus.placed: N_("Waiting for the supplier"), OrderStatus.confirmed: N_("Confirmed"), OrderStatus.refused: N_("Refused"),
    OrderStatus.cancelled: N_("Cancelled"), OrderStatus.shipped: N_("Shipped"), OrderStatus.accepted: N_("Accepted on inspection"),
    OrderStatus.rejected: N_("Rejected at acceptance"), OrderStatus.invoiced: N_("Invoiced"), OrderStatus.settled: N_("Settled"),
    OrderStatus.returned: N_("Returned"),
}
RETURN_LABELS = {
    ReturnStatus.requested: N_("Waiting for the supplier"), ReturnStatus.agreed: N_("Agreed: send the goods back"),
    ReturnStatus.refused: N_("Refused"), ReturnStatus.withdrawn: N_("Withdrawn"), ReturnStatus.sent: N_("Sent back"),
    ReturnStatus.received: N_("Received back"),
}
COMPETITION_LABELS = {
    CompetitionStatus.open: N_("Open for quotes"), CompetitionStatus.awarded: N_("Awarded"), CompetitionStatus.failed: N_("Failed"),
    CompetitionStatus.cancelled: N_("Cancelled"),
}
QUOTE_LABELS = {
    QuoteStatus.submitted: N_("Submitted"), QuoteStatus.won: N_("Won"), QuoteStatus.lost: N_("Not the lowest"),
    QuoteStatus.non_compliant: N_("Not compliant"),
}
BUYERS = requires_roles(Role.purchaser)
PARTIES = requires_roles(Role.purchaser, Role.supplier, Role.operator, Role.supervisor)
TRADERS = requires_roles(Role.purchaser, Role.supplier)


def _text(data: dict[str, Any], name: str, limit: int = 1000) -> str:
    return str(data.get(name, "")).strip()[:limit]


def _common(**context: Any) -> dict[str, Any]:
    context.setdefault("errors", [])
    context.setdefault("values", {})
    return {"yuan": yuan, "order_labels": ORDER_LABELS, "competition_labels": COMPETITION_LABELS, "quote_labels": QUOTE_LABELS,
            "return_labels": RETURN_LABELS, **context}


async def _cart_page(request: Request, session: Any, platform: Any, actor: Any, *, status_code: int = 200, **context: Any) -> Template:
    lines = await orders.cart(session, actor)
    year_budgets = await budgets.budgets(session, actor, year=budgets.budget_year(platform.clock.now()))
    earliest = sanctions.beijing_today(platform) + timedelta(days=max([p.lead_time_days for _, p in lines] or [0]))
    context.setdefault("values", {"requested_date": earliest.isoformat(), "delivery_region": "海口市"})
    return page(request, "mall/order_cart.html", status_code=status_code, **_common(
        lines=lines, total=sum(c.quantity * p.price_fen for c, p in lines), budget=year_budgets[0][0] if year_budgets else None,
        rules=budgets.rules_for(platform.settings, ""), key=secrets.token_urlsafe(16), **context,
    ))


class MallCartPages(Controller):
    tags = ["Pages"]
    guards = [BUYERS]

    @get("/mall/cart", summary="The purchaser's cart and checkout")
    async def cart(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Template:
        return await _cart_page(request, session, platform, actor)

    @post("/mall/cart", summary="Put a product in the cart (quantity 0 takes it out)", status_code=303, responses=FORM_AGAIN)
    async def put(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        product_id, quantity = _text(data, "product_id", 12), _text(data, "quantity", 7)
        try:
            if not product_id.isdigit() or not 1 <= int(product_id) <= MAX_ID or not quantity.isdigit():
                raise InvalidInput.for_field("body.quantity", N_("must be between 0 and 100000"))
            await orders.put_in_cart(session, platform, actor, int(product_id), int(quantity))
        except DomainError as exc:
            await session.rollback()
            return await _cart_page(request, session, platform, actor, errors=form_errors(exc), status_code=400)
        return Redirect("/mall/cart", status_code=303)

    @post("/mall/cart/checkout", summary="Place the cart's orders, one per supplier", status_code=303, responses=FORM_AGAIN)
    async def checkout(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {n: _text(data, n) for n in ("delivery_region", "delivery_address", "contact", "requested_date", "note")}
        lines = await orders.cart(session, actor)
        try:
            if not lines:
                raise DomainError(N_("the cart is empty"))
            order_in = s.OrderIn(items=[{"product_id": p.id, "quantity": c.quantity} for c, p in lines], **values)  # type: ignore[misc]
            placed, _ = await orders.place(session, platform, actor, order_in, _text(data, "idempotency_key", 64) or None)
            await orders.empty_cart(session, actor)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _cart_page(request, session, platform, actor, values=values, errors=form_errors(exc), status_code=400)
        return Redirect(f"/mall/orders?done=placed&n={len(placed)}", status_code=303)


ACTIONS = ("confirm", "refuse", "ship", "cancel", "accept", "invoice", "pay")
RETURN_ACTIONS = ("return", "return_agree", "return_refuse", "return_withdraw", "return_send", "return_receive")


class MallOrderPages(Controller):
    tags = ["Pages"]

    @get("/mall/orders", guards=[PARTIES], summary="Mall orders: the purchaser's, the supplier's, or all for the centre")
    async def list_orders(self, request: Request, session: DbSession, actor: CurrentActor, status: Annotated[str, QueryParameter(max_length=16)] = "",
                          done: Annotated[str, QueryParameter(max_length=16)] = "") -> Template:
        found = await orders.orders(session, actor, status=status or None)
        names = await orders.names(session, {o.purchaser_organisation_id for o in found} | {o.supplier_organisation_id for o in found})
        return page(request, "mall/order_list.html", **_common(orders=found, names=names, status=status, done=done))

    @get("/mall/orders/{order_id:int}", guards=[PARTIES], summary="An order: its items, its steps, its documents")
    async def show(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId,
                   done: Annotated[str, QueryParameter(max_length=16)] = "") -> Template:
        return await _order_page(request, session, platform, actor, order_id, done=done)

    @post("/mall/orders/{order_id:int}", guards=[TRADERS],
          summary="Take a step on an order (confirm, refuse, ship, cancel, accept, invoice, pay) or on its returns",
          status_code=303, responses=FORM_AGAIN)
    async def step(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> Any:
        action = _text(data, "action", 16)
        try:
            await _step(session, platform, actor, order_id, action, data)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _order_page(request, session, platform, actor, order_id, errors=form_errors(exc), status_code=400)
        return Redirect(f"/mall/orders/{order_id}?done={action}", status_code=303)


async def _step(session: Any, platform: Any, actor: Any, order_id: int, action: str, data: dict[str, Any]) -> None:
    if action in RETURN_ACTIONS:
        return await _return_step(session, platform, actor, order_id, action, data)
    if action not in ACTIONS:
        raise InvalidInput.for_field("body.action", N_("must be one of: %(choices)s"), choices=", ".join(ACTIONS + RETURN_ACTIONS))
    if action == "confirm":
        await orders.confirm(session, platform, actor, order_id)
    elif action in ("refuse", "cancel"):
        reason = s.ReasonIn(reason=_text(data, "reason")).reason
        await (orders.refuse if action == "refuse" else orders.cancel)(session, platform, actor, order_id, reason)
    elif action == "ship":
        await orders.ship(session, platform, actor, order_id, s.ShipIn(delivery_note=_text(data, "delivery_note")).delivery_note)
    elif action == "accept":
        lines = [{"item_id": i.id, "accepted_quantity": _text(data, f"accepted_{i.id}", 7) or "0", "reason": _text(data, f"reason_{i.id}")}
                 for i in await orders.items(session, order_id)]
        await orders.accept(session, platform, actor, order_id, s.AcceptanceIn(items=lines, note=_text(data, "note")))  # type: ignore[arg-type]
    elif action == "invoice":
        found = s.InvoiceIn(number=_text(data, "number", 64), amount=_text(data, "amount", 20))  # type: ignore[arg-type]
        await orders.invoice(session, platform, actor, order_id, found.number, to_fen(found.amount))
    else:
        await orders.pay(session, platform, actor, order_id, s.PaymentIn(reference=_text(data, "reference", 64)).reference)


async def _return_step(session: Any, platform: Any, actor: Any, order_id: int, action: str, data: dict[str, Any]) -> None:
    """The return forms: a new return (units per item), or a step on one (``return_id``)."""
    if action == "return":
        lines = [{"item_id": i.id, "quantity": int(n)} for i in await orders.items(session, order_id)
                 if (n := _text(data, f"return_{i.id}", 7)).isdigit() and int(n) > 0]
        if not lines:
            raise InvalidInput.for_field("body.items", N_("give the units to return of at least one item"))
        await returns.request(session, platform, actor, order_id, s.ReturnIn(items=lines, reason=_text(data, "reason")),  # type: ignore[arg-type]
                              _text(data, "idempotency_key", 64) or None)
        return
    return_id = _text(data, "return_id", 12)
    if not return_id.isdigit() or not 1 <= int(return_id) <= MAX_ID:
        raise InvalidInput.for_field("body.return_id", N_("is not a return of this order"))
    if action == "return_agree":
        await returns.agree(session, platform, actor, order_id, int(return_id))
    elif action in ("return_refuse", "return_withdraw"):
        reason = s.ReasonIn(reason=_text(data, "reason")).reason
        await (returns.refuse if action == "return_refuse" else returns.withdraw)(session, platform, actor, order_id, int(return_id), reason)
    elif action == "return_send":
        note = s.ReturnSentIn(shipping_note=_text(data, "shipping_note")).shipping_note
        await returns.send(session, platform, actor, order_id, int(return_id), note)
    else:
        reference = s.ReturnReceivedIn(reference=_text(data, "reference", 64)).reference
        await returns.receive(session, platform, actor, order_id, int(return_id), reference)


async def _order_page(request: Request, session: Any, platform: Any, actor: Any, order_id: int, *, status_code: int = 200, **context: Any) -> Template:
    found = await orders.order(session, actor, order_id)
    is_buyer = actor.has(Role.purchaser) and actor.organisation_id == found.purchaser_organisation_id
    last_day = returns.return_until(platform, found)
    may_return = is_buyer and last_day is not None and sanctions.beijing_today(platform) <= last_day
    return page(request, "mall/order_detail.html", status_code=status_code, **_common(
        order=await order_out(session, platform, found), is_buyer=is_buyer,
        is_seller=actor.has(Role.supplier) and actor.organisation_id == found.supplier_organisation_id,
        returnable=await returns.returnable_quantities(session, found) if may_return else {}, return_key=secrets.token_urlsafe(16), **context,
    ))


COMPETITION_FIELDS = ("title", "category_id", "quantity", "ceiling", "deadline", "delivery_region", "delivery_address", "contact", "requested_date")


class MallCompetitionPages(Controller):
    tags = ["Pages"]

    @get("/mall/competitions", guards=[PARTIES], summary="Mini-competitions (竞价); purchasers post new ones here")
    async def list_competitions(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Template:
        return await _competitions_page(request, session, platform, actor)

    @post("/mall/competitions", guards=[BUYERS], summary="Post a mini-competition, from the page", status_code=303, responses=FORM_AGAIN)
    async def create(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {n: _text(data, n) for n in (*COMPETITION_FIELDS, "specifications")}
        try:
            deadline = values["deadline"] + ("+08:00" if values["deadline"] and "+" not in values["deadline"] else "")
            need = s.CompetitionIn(**{**{k: v for k, v in values.items() if k in COMPETITION_FIELDS and v}, "deadline": deadline,  # type: ignore[arg-type]
                                      "specifications": _specifications(values["specifications"])})
            found = await competitions.post(session, platform, actor, need)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _competitions_page(request, session, platform, actor, values=values, errors=form_errors(exc), status_code=400)
        return Redirect(f"/mall/competitions/{found.id}?done=posted", status_code=303)

    @get("/mall/competitions/{competition_id:int}", guards=[PARTIES], summary="A mini-competition; suppliers quote here")
    async def show(self, request: Request, session: DbSession, actor: CurrentActor, competition_id: CompetitionId,
                   done: Annotated[str, QueryParameter(max_length=16)] = "") -> Template:
        return await _competition_page(request, session, actor, competition_id, done=done)

    @post("/mall/competitions/{competition_id:int}", guards=[TRADERS], summary="Quote (suppliers) or cancel (the purchaser), from the page",
          status_code=303, responses=FORM_AGAIN)
    async def act(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                  competition_id: CompetitionId) -> Any:
        action = _text(data, "action", 16)
        values = {n: _text(data, n) for n in ("unit_price", "brand", "model", "specifications", "reason")}
        try:
            if action == "cancel":
                await competitions.cancel(session, platform, actor, competition_id, s.ReasonIn(reason=values["reason"]).reason)
            else:
                quote = s.QuoteIn(unit_price=values["unit_price"] or "0", brand=values["brand"], model=values["model"],  # type: ignore[arg-type]
                                  specifications=_specifications(values["specifications"]))
                await competitions.quote(session, platform, actor, competition_id, quote)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _competition_page(request, session, actor, competition_id, values=values, errors=form_errors(exc), status_code=400)
        return Redirect(f"/mall/competitions/{competition_id}?done={'cancelled' if action == 'cancel' else 'quoted'}", status_code=303)


async def _competitions_page(request: Request, session: Any, platform: Any, actor: Any, *, status_code: int = 200, **context: Any) -> Template:
    found = await competitions.competitions(session, actor)
    names = await orders.names(session, {c.purchaser_organisation_id for c in found})
    context.setdefault("values", {"deadline": to_display(platform.clock.now() + timedelta(days=3)).strftime("%Y-%m-%dT17:00"), "delivery_region": "海口市"})
    return page(request, "mall/competition_list.html", status_code=status_code, **_common(
        competitions=found, names=names, categories=await agreements.categories(session), **context))


async def _competition_page(request: Request, session: Any, actor: Any, competition_id: int, *, status_code: int = 200, **context: Any) -> Template:
    found = await competitions.competition(session, actor, competition_id)
    return page(request, "mall/competition_detail.html", status_code=status_code, **_common(
        competition=await competition_out(session, actor, found),
        is_buyer=actor.has(Role.purchaser) and actor.organisation_id == found.purchaser_organisation_id, **context))


class MallBudgetPages(Controller):
    tags = ["Pages"]

    @get("/mall/budgets", guards=[requires_roles(Role.purchaser, Role.admin, Role.operator, Role.supervisor)], summary="Mall budgets per unit and year")
    async def list_budgets(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                           done: Annotated[str, QueryParameter(max_length=16)] = "") -> Template:
        return await _budget_page(request, session, platform, actor, done=done)

    @post("/mall/budgets", guards=[requires_roles(Role.operator, Role.admin)], summary="Set a budget, from the page", status_code=303, responses=FORM_AGAIN)
    async def set_budget(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {n: _text(data, n, 20) for n in ("organisation_id", "year", "amount")}
        try:
            budget_in = s.BudgetIn(**values)  # type: ignore[arg-type]
            await budgets.set_budget(session, platform, actor, budget_in.organisation_id, budget_in.year, to_fen(budget_in.amount))
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _budget_page(request, session, platform, actor, values=values, errors=form_errors(exc), status_code=400)
        return Redirect("/mall/budgets?done=set", status_code=303)


async def _budget_page(request: Request, session: Any, platform: Any, actor: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("values", {"organisation_id": str(actor.organisation_id), "year": str(budgets.budget_year(platform.clock.now()))})
    return page(request, "mall/budget.html", status_code=status_code, **_common(
        budgets=await budgets.budgets(session, actor), may_set=actor.has(Role.operator, Role.admin), **context))


class MallOrderMonitoringPages(Controller):
    tags = ["Pages"]
    guards = [requires_roles(Role.operator, Role.supervisor)]

    @get("/mall/order-monitoring", summary="Late confirmations and deliveries, and savings, for the centre and supervisors")
    async def monitoring(self, request: Request, session: DbSession, platform: PlatformDep,
                         group_by: Annotated[str, QueryParameter(pattern="^(unit|category|month)$")] = "unit") -> Template:
        today = sanctions.beijing_today(platform)
        start, end = period(date(today.year, 1, 1), today)
        return page(request, "mall/order_monitoring.html", **_common(
            late=await late_out(session, platform), savings=savings_out(await orders.mall_savings(session, start, end, group_by)),
            group_by=group_by, year=today.year))


ORDER_HANDLERS = (MallOrderController, MallCartPages, MallOrderPages, MallCompetitionPages, MallBudgetPages, MallOrderMonitoringPages, MallOrderDocuments)
