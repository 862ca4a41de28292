"""An order's documents as PDFs: the order form (订单), the acceptance report (验收单, with the
returns after acceptance) and the settlement statement (结算单), each drawn from the order as
stored, for whoever may see it."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State

from procurement.clock import to_display
from procurement.documents import PdfRenderer
from procurement.errors import N_, Conflict
from procurement.i18n import language_var
from procurement.identity.models import Role
from procurement.mall import orders
from procurement.mall.order_controllers import OrderId, order_out
from procurement.mall.order_models import OrderStatus
from procurement.web.deps import CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_roles

# document → (template, the states in which it exists, file name stem)
DOCUMENTS = {
    "order-form": ("pdf/mall_order_form.html", tuple(OrderStatus), "order"),
    "acceptance": ("pdf/mall_acceptance.html", (OrderStatus.accepted, OrderStatus.rejected, OrderStatus.invoiced, OrderStatus.settled, OrderStatus.returned),
                   "acceptance"),
    "statement": ("pdf/mall_statement.html", (OrderStatus.settled,), "statement"),
}


async def _render(state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: int, document: str) -> Response[bytes]:
    template, states, stem = DOCUMENTS[document]
    found = await orders.order(session, actor, order_id)
    if found.status not in states:
        raise Conflict(N_("this document does not exist yet for an order that is %(status)s"), status=found.status)
    renderer: PdfRenderer = state.pdf
    pdf = await renderer.render(template, {
        "order": await order_out(session, platform, found), "generated_at": to_display(platform.clock.now()), "lang": language_var.get(),
        "base_url": platform.settings.base_url,
    })
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="mall-{stem}-{order_id}.pdf"'})


class MallOrderDocuments(Controller):
    tags = ["Pages"]
    guards = [requires_roles(Role.purchaser, Role.supplier, Role.operator, Role.supervisor)]

    @get("/mall/orders/{order_id:int}/order-form.pdf", media_type="application/pdf", summary="The order form (订单) as a PDF")
    async def order_form(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> Response[bytes]:
        return await _render(state, session, platform, actor, order_id, "order-form")

    @get("/mall/orders/{order_id:int}/acceptance.pdf", media_type="application/pdf", summary="The acceptance report (验收单) as a PDF")
    async def acceptance(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> Response[bytes]:
        return await _render(state, session, platform, actor, order_id, "acceptance")

    @get("/mall/orders/{order_id:int}/statement.pdf", media_type="application/pdf", summary="The settlement statement (结算单) as a PDF")
    async def statement(self, state: State, session: DbSession, platform: PlatformDep, actor: CurrentActor, order_id: OrderId) -> Response[bytes]:
        return await _render(state, session, platform, actor, order_id, "statement")
