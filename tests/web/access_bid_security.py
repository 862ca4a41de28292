"""Access rows: bid_security. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.web.access_rules import OWNERS, Requests, Rows, Rule, roles

SUPPLIERS = roles(Role.supplier)
VIEWERS = roles(Role.supplier, Role.purchaser, Role.agency, Role.supervisor, Role.operator)

DECIDERS = roles(Role.purchaser, Role.agency, Role.operator)

# fmt: off
ROWS: Rows = {
    ("GET",  "/api/tenders/{tender_id}/bid-security"):                       Rule(VIEWERS, "a supplier: its own organisation's; the runner, its purchaser, supervisors, operators: every payer's (payers, never bids); other purchasers and agencies 403"),
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/bid-security"):     Rule(SUPPLIERS, "for the caller's organisation, before the deadline"),
    ("POST", "/api/bid-securities/{security_id}/confirm"):                   Rule(DECIDERS, "the trading centre; the organisation running the tender once bidding closed; others 403 or 404"),
    ("POST", "/api/bid-securities/{security_id}/reject"):                    Rule(DECIDERS, "the trading centre; the organisation running the tender once bidding closed; others 403 or 404"),
    ("POST", "/api/bid-securities/{security_id}/refund"):                    Rule(DECIDERS, "the trading centre, or the runner once bidding closed, when a refund is due"),
    ("GET",  "/tenders/{tender_id}/bid-security"):                           Rule(VIEWERS, "as GET /api/tenders/{tender_id}/bid-security"),
    ("POST", "/tenders/{tender_id}/bid-security/lots/{lot_number}"):         Rule(SUPPLIERS, "as POST /api/tenders/{tender_id}/lots/{lot_number}/bid-security"),
    ("POST", "/tenders/{tender_id}/bid-security/{security_id}/confirm"):     Rule(DECIDERS, "as POST /api/bid-securities/{security_id}/confirm"),
    ("POST", "/tenders/{tender_id}/bid-security/{security_id}/reject"):      Rule(DECIDERS, "as POST /api/bid-securities/{security_id}/reject"),
    ("POST", "/tenders/{tender_id}/bid-security/{security_id}/refund"):      Rule(DECIDERS, "as POST /api/bid-securities/{security_id}/refund"),
}
# fmt: on

PAYMENT = {"form": "bank_transfer", "amount": "16000.00", "payer_account_name": "走查供应商", "bank_reference": "WALK-1"}
REQUESTS: Requests = {
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/bid-security"): {"json": PAYMENT},
    ("POST", "/api/bid-securities/{security_id}/reject"): {"json": {"reason": "未到账"}},
    ("POST", "/api/bid-securities/{security_id}/refund"): {"json": {"refunded_on": "2026-01-05", "bank_reference": "R-1"}},
    ("POST", "/tenders/{tender_id}/bid-security/lots/{lot_number}"): {"data": PAYMENT},
    ("POST", "/tenders/{tender_id}/bid-security/{security_id}/reject"): {"data": {"reason": "未到账"}},
    ("POST", "/tenders/{tender_id}/bid-security/{security_id}/refund"): {"data": {"refunded_on": "2026-01-05", "bank_reference": "R-1"}},
}
