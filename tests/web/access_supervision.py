"""Access rows: supervision. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role  # noqa: F401
from tests.web.access_rules import LOGGED_IN, OWNERS, PUBLIC, SUPERVISORS, Requests, Rows, Rule, roles  # noqa: F401

# fmt: off
ROWS: Rows = {
    ("GET",  "/api/supervision/alerts"):                     Rule(SUPERVISORS, "every alert; alerts about bids exist only after bidding closed"),
    ("GET",  "/api/supervision/alerts/{alert_id}"):          Rule(SUPERVISORS),
    ("POST", "/api/supervision/alerts/{alert_id}/review"):   Rule(SUPERVISORS, "new alerts only"),
    ("POST", "/api/supervision/alerts/{alert_id}/close"):    Rule(SUPERVISORS, "alerts not yet closed; a reason is required"),
    ("GET",  "/supervision"):                                Rule(SUPERVISORS, "the console: tenders past the draft, alerts, opening records"),
    ("GET",  "/supervision/alerts/{alert_id}"):              Rule(SUPERVISORS),
    ("POST", "/supervision/alerts/{alert_id}/review"):       Rule(SUPERVISORS, "as POST /api/supervision/alerts/{alert_id}/review"),
    ("POST", "/supervision/alerts/{alert_id}/close"):        Rule(SUPERVISORS, "as POST /api/supervision/alerts/{alert_id}/close"),
    ("GET",  "/supervision/tenders/{tender_id}/report.pdf"): Rule(SUPERVISORS, "any tender; bids only once bidding closed"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/supervision/alerts/{alert_id}/close"): {"json": {"reason": "经核查无异常"}},
    ("POST", "/supervision/alerts/{alert_id}/close"): {"data": {"reason": "经核查无异常"}},
}
