"""Access rows: mall orders. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.web.access_rules import (  # noqa: F401
    LOGGED_IN,
    OWNERS,
    PUBLIC,
    SUPERVISORS,
    Requests,
    Rows,
    Rule,
    roles,
)

M = "/api/mall"
BUYERS = roles(Role.purchaser)
SELLERS = roles(Role.supplier)
PARTIES = roles(Role.purchaser, Role.supplier, Role.operator, Role.supervisor)
WATCHERS = roles(Role.operator, Role.supervisor)
TRADERS = roles(Role.purchaser, Role.supplier)
BUDGET_READERS = roles(Role.purchaser, Role.admin, Role.operator, Role.supervisor)
BUDGET_SETTERS = roles(Role.operator, Role.admin)
REASON = {"json": {"reason": "走查"}}

# fmt: off
ROWS: Rows = {
    ("GET",  M + "/purchase-rules"):                            Rule(PUBLIC, "the limits are public (集中采购目录及限额标准)"),
    ("GET",  M + "/budgets"):                                   Rule(BUDGET_READERS, "the caller's unit's; all for the centre and supervisors"),
    ("PUT",  M + "/budgets"):                                   Rule(BUDGET_SETTERS, "operators: any purchasing unit; admins: their own unit"),
    ("POST", M + "/orders"):                                    Rule(BUYERS, "for the caller's unit, against its budget"),
    ("GET",  M + "/orders"):                                    Rule(PARTIES, "the caller's unit's as buyer or seller; all for the centre and supervisors"),
    ("GET",  M + "/orders/{order_id}"):                         Rule(PARTIES, "as GET /orders; another's is 404"),
    ("POST", M + "/orders/{order_id}/confirm"):                 Rule(SELLERS, "the order's supplier"),
    ("POST", M + "/orders/{order_id}/refuse"):                  Rule(SELLERS, "the order's supplier"),
    ("POST", M + "/orders/{order_id}/ship"):                    Rule(SELLERS, "the order's supplier"),
    ("POST", M + "/orders/{order_id}/invoice"):                 Rule(SELLERS, "the order's supplier"),
    ("POST", M + "/orders/{order_id}/cancel"):                  Rule(BUYERS, "the unit that placed it"),
    ("POST", M + "/orders/{order_id}/acceptance"):              Rule(BUYERS, "the unit that placed it"),
    ("POST", M + "/orders/{order_id}/payment"):                 Rule(BUYERS, "the unit that placed it"),
    ("POST", M + "/orders/{order_id}/returns"):                 Rule(BUYERS, "the unit that placed it, within the return window"),
    ("POST", M + "/orders/{order_id}/returns/{return_id}/agree"):    Rule(SELLERS, "the order's supplier"),
    ("POST", M + "/orders/{order_id}/returns/{return_id}/refuse"):   Rule(SELLERS, "the order's supplier"),
    ("POST", M + "/orders/{order_id}/returns/{return_id}/withdraw"): Rule(BUYERS, "the unit that placed it"),
    ("POST", M + "/orders/{order_id}/returns/{return_id}/sent"):     Rule(BUYERS, "the unit that placed it"),
    ("POST", M + "/orders/{order_id}/returns/{return_id}/received"): Rule(SELLERS, "the order's supplier"),
    ("GET",  M + "/late-orders"):                               Rule(WATCHERS),
    ("GET",  M + "/savings"):                                   Rule(WATCHERS),
    ("POST", M + "/competitions"):                              Rule(BUYERS, "for the caller's unit, against its budget"),
    ("GET",  M + "/competitions"):                              Rule(PARTIES, "buyers: their unit's; suppliers: open ones and their own quotes' "),
    ("GET",  M + "/competitions/{competition_id}"):             Rule(PARTIES, "as GET /competitions; quotes sealed until the close"),
    ("POST", M + "/competitions/{competition_id}/cancel"):      Rule(BUYERS, "the unit that posted it"),
    ("PUT",  M + "/competitions/{competition_id}/quote"):       Rule(SELLERS, "approved for the category; not barred"),
    ("GET",  "/mall/cart"):                                     Rule(BUYERS, "the caller's own cart"),
    ("POST", "/mall/cart"):                                     Rule(BUYERS, "the caller's own cart"),
    ("POST", "/mall/cart/checkout"):                            Rule(BUYERS, "as POST /api/mall/orders"),
    ("GET",  "/mall/orders"):                                   Rule(PARTIES, "as the API"),
    ("GET",  "/mall/orders/{order_id}"):                        Rule(PARTIES, "as the API"),
    ("POST", "/mall/orders/{order_id}"):                        Rule(TRADERS, "each step, and each return step, as its API route"),
    ("GET",  "/mall/orders/{order_id}/order-form.pdf"):         Rule(PARTIES, "as the order"),
    ("GET",  "/mall/orders/{order_id}/acceptance.pdf"):         Rule(PARTIES, "as the order; after acceptance"),
    ("GET",  "/mall/orders/{order_id}/statement.pdf"):          Rule(PARTIES, "as the order; once settled"),
    ("GET",  "/mall/competitions"):                             Rule(PARTIES, "as the API"),
    ("POST", "/mall/competitions"):                             Rule(BUYERS, "as the API"),
    ("GET",  "/mall/competitions/{competition_id}"):            Rule(PARTIES, "as the API"),
    ("POST", "/mall/competitions/{competition_id}"):            Rule(TRADERS, "a supplier's quote or the buyer's cancellation, as the API"),
    ("GET",  "/mall/budgets"):                                  Rule(BUDGET_READERS, "as the API"),
    ("POST", "/mall/budgets"):                                  Rule(BUDGET_SETTERS, "as the API"),
    ("GET",  "/mall/order-monitoring"):                         Rule(WATCHERS, "late orders and savings"),
}
# fmt: on

REQUESTS: Requests = {
    ("PUT", M + "/budgets"): {"json": {"organisation_id": 999999, "year": 2026, "amount": "1.00"}},
    ("POST", M + "/orders"): {"json": {"items": [{"product_id": 999999, "quantity": 1}], "delivery_region": "海口市",
                                       "delivery_address": "走查地址一号", "contact": "走查", "requested_date": "2030-01-01"}},
    ("POST", M + "/orders/{order_id}/refuse"): REASON,
    ("POST", M + "/orders/{order_id}/cancel"): REASON,
    ("POST", M + "/orders/{order_id}/ship"): {"json": {"delivery_note": "走查"}},
    ("POST", M + "/orders/{order_id}/acceptance"): {"json": {"items": [{"item_id": 1, "accepted_quantity": 1}]}},
    ("POST", M + "/orders/{order_id}/invoice"): {"json": {"number": "WALK-0001", "amount": "1.00"}},
    ("POST", M + "/orders/{order_id}/payment"): {"json": {"reference": "走查"}},
    ("POST", M + "/orders/{order_id}/returns"): {"json": {"items": [{"item_id": 1, "quantity": 1}], "reason": "走查"}},
    ("POST", M + "/orders/{order_id}/returns/{return_id}/refuse"): REASON,
    ("POST", M + "/orders/{order_id}/returns/{return_id}/withdraw"): REASON,
    ("POST", M + "/orders/{order_id}/returns/{return_id}/sent"): {"json": {"shipping_note": "走查"}},
    ("POST", M + "/orders/{order_id}/returns/{return_id}/received"): {"json": {}},
    ("GET", M + "/savings"): {"params": {"from": "2026-01-01", "to": "2026-01-31"}},
    ("POST", M + "/competitions/{competition_id}/cancel"): REASON,
    ("PUT", M + "/competitions/{competition_id}/quote"): {"json": {"unit_price": "1.00", "brand": "走查", "model": "走查", "specifications": {"a": "b"}}},
    ("POST", M + "/competitions"): {"json": {"title": "走查", "category_id": 999999, "specifications": {"a": "b"}, "quantity": 1, "ceiling": "1.00",
                                             "deadline": "2030-01-01T00:00:00+08:00", "delivery_region": "海口市", "delivery_address": "走查地址一号",
                                             "contact": "走查", "requested_date": "2030-01-02"}},
    ("POST", "/mall/cart"): {"data": {"product_id": "999999", "quantity": "1"}},
    ("POST", "/mall/orders/{order_id}"): {"data": {"action": "confirm"}},
    ("POST", "/mall/competitions/{competition_id}"): {"data": {"action": "cancel", "reason": "走查"}},
    ("POST", "/mall/budgets"): {"data": {"organisation_id": "999999", "year": "2026", "amount": "1"}},
}
