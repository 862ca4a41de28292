"""Access rows: award. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.web.access_rules import (
    LOGGED_IN,
    OWNERS,
    PUBLIC,
    Requests,
    Rows,
    Rule,
    roles,
)

SUPPLIERS = roles(Role.supplier)
OVERSEERS = roles(Role.supervisor, Role.operator)

# fmt: off
ROWS: Rows = {
    ("GET",  "/api/tenders/{tender_id}/award"):                                  Rule(PUBLIC, "what the notices published; objections and a refusal's evidence: every one for the runner, its purchaser, supervisors, operators; a supplier its own"),
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/objections"):           Rule(SUPPLIERS, "during the publicity: bidders of the lot and suppliers that obtained the documents; works also other interested parties stating their interest; government others 403"),
    ("POST", "/api/award-objections/{objection_id}/answer"):                     Rule(OWNERS, "the organisation running the tender or its purchaser; others 403 or 404"),
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/award"):                Rule(OWNERS, "the organisation running the tender or its purchaser, after the publicity"),
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/failure"):              Rule(OWNERS, "the organisation running the tender or its purchaser, while the candidates are publicised or after the winner refused"),
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/refusal"):              Rule(OWNERS, "the organisation running the tender or its purchaser, for an awarded lot without a contract"),
    ("PUT",  "/api/tenders/{tender_id}/lots/{lot_number}/contract"):             Rule(OWNERS, "the organisation running the tender or its purchaser, for an awarded lot"),
    ("GET",  "/api/tenders/{tender_id}/lots/{lot_number}/contract"):             Rule(PUBLIC, "the published contract's document"),
    ("GET",  "/api/tenders/{tender_id}/award-letters"):                          Rule(LOGGED_IN, "a bidder its own letters; the runner, its purchaser, supervisors, operators every one; others none"),
    ("GET",  "/api/award-letters/{letter_id}/pdf"):                              Rule(LOGGED_IN, "the recipient organisation, the runner, its purchaser, supervisors, operators; others 404"),
    ("POST", "/api/award-letters/verify"):                                       Rule(PUBLIC, "checks a signature over the content sent; reveals nothing"),
    ("GET",  "/api/awards/overdue-contracts"):                                   Rule(OVERSEERS),
    ("GET",  "/api/awards/overdue-decisions"):                                   Rule(OVERSEERS),
    ("GET",  "/tenders/{tender_id}/award"):                                      Rule(LOGGED_IN, "as the API: each sees the forms its role allows"),
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/objections"):         Rule(SUPPLIERS, "as POST /api/tenders/{tender_id}/lots/{lot_number}/objections"),
    ("POST", "/tenders/{tender_id}/award/objections/{objection_id}/answer"):     Rule(OWNERS, "as POST /api/award-objections/{objection_id}/answer"),
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/confirm"):            Rule(OWNERS, "as POST /api/tenders/{tender_id}/lots/{lot_number}/award"),
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/failure"):            Rule(OWNERS, "as POST /api/tenders/{tender_id}/lots/{lot_number}/failure"),
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/refusal"):            Rule(OWNERS, "as POST /api/tenders/{tender_id}/lots/{lot_number}/refusal"),
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/contract"):           Rule(OWNERS, "as PUT /api/tenders/{tender_id}/lots/{lot_number}/contract"),
}
# fmt: on

OBJECTION = {"text": "第一中标候选人的业绩证明材料与实际不符。"}
REFUSAL = {"reason": "declined", "evidence": "中标人书面函告放弃中标，函件编号2026-001。"}
REQUESTS: Requests = {
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/objections"): {"json": OBJECTION},
    ("POST", "/api/award-objections/{objection_id}/answer"): {"json": {"answer": "经核实，异议不成立，维持原公示结果。"}},
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/award"): {"json": {"rank": 1}},
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/failure"): {"json": {"reason": "异议成立，全部候选人资格不符，重新招标。"}},
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/failure"): {"data": {"fail_reason": "异议成立，全部候选人资格不符，重新招标。"}},
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/refusal"): {"json": REFUSAL},
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/refusal"): {"data": {"refusal_reason": "declined", "evidence": REFUSAL["evidence"]}},
    ("PUT", "/api/tenders/{tender_id}/lots/{lot_number}/contract"): {
        "params": {"signed_on": "2026-01-05", "name": "合同.pdf"}, "content": b"%PDF-1.7"},
    ("POST", "/api/award-letters/verify"): {"json": {"content": {"format": "award-letter/v1"}, "signature": "AAAA"}},
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/objections"): {"data": OBJECTION},
    ("POST", "/tenders/{tender_id}/award/objections/{objection_id}/answer"): {"data": {"answer": "经核实，异议不成立。"}},
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/confirm"): {"data": {"rank": "1"}},
    ("POST", "/tenders/{tender_id}/award/lots/{lot_number}/contract"): {"files": {"document": ("合同.pdf", b"%PDF-1.7", "application/pdf")}, "data": {"signed_on": "2026-01-05"}},
}
