"""Access rows: evaluation. Merged into ``access_table.ACCESS``."""

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

# Experts and the purchaser's representatives sit on the committee; the organiser and supervisors follow it.
READERS = roles(Role.expert, Role.purchaser, Role.agency, Role.supervisor)
MEMBERS = roles(Role.expert, Role.purchaser)
_E = "/api/evaluations/{evaluation_id}"
_SEEN = "current members (signed in), the organisation running the tender and supervisors; others 403"

# fmt: off
ROWS: Rows = {
    ("POST", "/api/tenders/{tender_id}/evaluations"): Rule(OWNERS, "the organisation running the tender, bids opened, on the draw's evaluation day"),
    ("GET",  "/api/tenders/{tender_id}/evaluations"): Rule(READERS, "all for the organiser and supervisors; a member's own only"),
    ("GET",  _E):                                     Rule(READERS, _SEEN + "; no prices, no scores"),
    ("POST", _E + "/sign-in"):                        Rule(MEMBERS, "current members only; an expert after checking in"),
    ("GET",  _E + "/bids"):                           Rule(READERS, _SEEN + "; never bidders or the public"),
    ("GET",  _E + "/bids/{bid_id}/files/{number}"):   Rule(READERS, _SEEN + "; each read audited"),
    ("PUT",  _E + "/checks/{bid_id}"):                Rule(MEMBERS, "current, signed-in members; their own check; until they submit"),
    ("GET",  _E + "/checks"):                         Rule(READERS, "own until all submitted; supervisors each submitted one"),
    ("PUT",  _E + "/sheets/{bid_id}"):                Rule(MEMBERS, "current, signed-in members; their own sheet; until they submit"),
    ("GET",  _E + "/sheets"):                         Rule(READERS, "own until all submitted; supervisors each submitted one; the organiser none until all submitted"),
    ("POST", _E + "/submission"):                     Rule(MEMBERS, "current, signed-in members; their own submission"),
    ("POST", _E + "/submission/reopen"):              Rule(MEMBERS, "their own submission, before the report"),
    ("POST", _E + "/extension-requests"):             Rule(MEMBERS, "current members; once each; one extension"),
    ("GET",  _E + "/result"):                         Rule(READERS, _SEEN + "; once every member submitted"),
    ("POST", _E + "/report"):                         Rule(MEMBERS, "current members, once every member submitted"),
    ("GET",  _E + "/report"):                         Rule(READERS, _SEEN),
    ("GET",  _E + "/report/pdf"):                     Rule(READERS, _SEEN),
    ("POST", _E + "/signatures"):                     Rule(MEMBERS, "current members, with their own registered Ed25519 key"),
    # The pages (bidding/evaluation/pages.py): the same rules as the API they call.
    ("GET",  "/evaluations/{evaluation_id}"):                         Rule(READERS, _SEEN + "; forms for current members only"),
    ("POST", "/evaluations/{evaluation_id}/sign-in"):                 Rule(MEMBERS, "as POST " + _E + "/sign-in"),
    ("POST", "/evaluations/{evaluation_id}/checks/{bid_id}"):         Rule(MEMBERS, "as PUT " + _E + "/checks/{bid_id}"),
    ("POST", "/evaluations/{evaluation_id}/sheets/{bid_id}"):         Rule(MEMBERS, "as PUT " + _E + "/sheets/{bid_id}"),
    ("POST", "/evaluations/{evaluation_id}/submission"):              Rule(MEMBERS, "as POST " + _E + "/submission, after confirming"),
    ("POST", "/evaluations/{evaluation_id}/submission/reopen"):       Rule(MEMBERS, "as POST " + _E + "/submission/reopen"),
    ("POST", "/evaluations/{evaluation_id}/extension-requests"):      Rule(MEMBERS, "as POST " + _E + "/extension-requests"),
    ("POST", "/evaluations/{evaluation_id}/report"):                  Rule(MEMBERS, "as POST " + _E + "/report"),
    ("GET",  "/evaluations/{evaluation_id}/report"):                  Rule(READERS, _SEEN + "; the signing form for members who have not signed"),
    ("GET",  "/tenders/{tender_id}/evaluation"):                      Rule(READERS, "every lot for the organiser and supervisors; a member the lots they sit on; others 403"),
    ("POST", "/tenders/{tender_id}/evaluation/start"):                Rule(OWNERS, "as POST /api/tenders/{tender_id}/evaluations"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/tenders/{tender_id}/evaluations"): {"json": {"lot": 1, "representatives": []}},
    ("PUT", _E + "/checks/{bid_id}"): {"json": {"passed": True}},
    ("PUT", _E + "/sheets/{bid_id}"): {"json": {"points": {"technical": "10.00"}}},
    ("POST", _E + "/signatures"): {"json": {"key_id": 1, "signature": "AAAA"}},
    ("POST", "/evaluations/{evaluation_id}/checks/{bid_id}"): {"data": {"passed": "yes"}},
    ("POST", "/evaluations/{evaluation_id}/sheets/{bid_id}"): {"data": {"points-technical": "10.00"}},
    ("POST", "/evaluations/{evaluation_id}/submission"): {"data": {"confirm": "yes"}},
    ("POST", "/tenders/{tender_id}/evaluation/start"): {"data": {"lot": "1"}},
}
