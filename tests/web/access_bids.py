"""Access rows: sealed bids (uploads, completion, the organisation's own bids). Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role
from tests.web.access_rules import LOGGED_IN, Requests, Rows, Rule, roles

SUPPLIERS = roles(Role.supplier)

# fmt: off
ROWS: Rows = {
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/bid-uploads"): Rule(SUPPLIERS, "for the caller's organisation, which obtained the documents, before the deadline"),
    ("PUT",  "/api/bid-uploads/{upload_id}/parts/{number}"):           Rule(SUPPLIERS, "the organisation's own uploads; another's is 404"),
    ("GET",  "/api/bid-uploads/{upload_id}"):                          Rule(SUPPLIERS, "the organisation's own uploads; another's is 404"),
    ("POST", "/api/bid-uploads/{upload_id}/complete"):                 Rule(SUPPLIERS, "the organisation's own uploads, before the deadline"),
    ("GET",  "/api/tenders/{tender_id}/bids/mine"):                    Rule(SUPPLIERS, "the caller's organisation's bids only: nobody else learns that a bid exists"),
    ("POST", "/api/bids/{bid_id}/withdraw"):                           Rule(SUPPLIERS, "the organisation's current bid, before the deadline"),
    ("POST", "/api/tenders/{tender_id}/opening"):                      Rule(roles(Role.operator), "after bidding closed and the lots were counted"),
    ("POST", "/api/tenders/{tender_id}/opening/close"):                Rule(roles(Role.operator), "an opening in progress"),
    ("GET",  "/api/tenders/{tender_id}/opening"):                      Rule(LOGGED_IN, "who has released; prices only once the opening closed"),
    ("POST", "/api/bids/{bid_id}/release"):                            Rule(SUPPLIERS, "the organisation's own bid, within the release window"),
    ("POST", "/api/tenders/{tender_id}/opening/presence"):             Rule(SUPPLIERS, "organisations that bid on the tender, while the opening is open"),
    ("POST", "/api/tenders/{tender_id}/opening/responses"):            Rule(SUPPLIERS, "organisations that bid on the tender, within the objection window"),
    ("GET",  "/api/tenders/{tender_id}/opening/responses"):            Rule(LOGGED_IN, "the tender's bidders, those running it, the centre and supervisors"),
    ("POST", "/api/opening-responses/{response_id}/answer"):           Rule(roles(Role.purchaser, Role.agency, Role.operator), "the organisation running the tender, or the centre"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/tenders/{tender_id}/lots/{lot_number}/bid-uploads"): {"json": {"bid_version": 1, "size": 1000}},
    ("PUT",  "/api/bid-uploads/{upload_id}/parts/{number}"): {"content": b"walk"},
    ("POST", "/api/bid-uploads/{upload_id}/complete"): {"json": {"signature": "A" * 86 + "=="}},
    ("POST", "/api/tenders/{tender_id}/opening"): {"json": {"release_minutes": 30}},
    ("POST", "/api/bids/{bid_id}/release"): {"json": {"content_key": "A" * 43 + "="}},
    ("POST", "/api/tenders/{tender_id}/opening/responses"): {"json": {"kind": "objection", "text": "唱标价格有误"}},
    ("POST", "/api/opening-responses/{response_id}/answer"): {"json": {"answer": "经核对，唱标无误"}},
}
