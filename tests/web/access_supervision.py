"""Access rows: supervision. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role  # noqa: F401
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
    ("GET",  "/api/tenders/{tender_id}/supervisors"):        Rule(SUPERVISORS, "any tender a supervisor can see"),
    ("POST", "/api/tenders/{tender_id}/supervisors"):        Rule(SUPERVISORS, "supervisors of the caller's own supervising body"),
    ("DELETE", "/api/tenders/{tender_id}/supervisors/{user_id}"): Rule(SUPERVISORS, "supervisors of the caller's own supervising body"),
    ("GET",  "/api/statistics"):                             Rule(PUBLIC, "aggregates of published facts; group_by=purchaser or purchaser_id: supervisors only (403)"),
    ("GET",  "/api/statistics.csv"):                         Rule(PUBLIC, "as GET /api/statistics"),
    ("GET",  "/api/statistics.xlsx"):                        Rule(PUBLIC, "as GET /api/statistics"),
    ("GET",  "/statistics"):                                 Rule(PUBLIC, "the public summary: no breakdown by purchasing unit"),
    ("GET",  "/supervision/statistics"):                     Rule(SUPERVISORS, "with the breakdown by purchasing unit"),
    ("GET",  "/supervision/reports/period.pdf"):             Rule(SUPERVISORS, "figures, alerts, blacklist entries put in force, failed tenders"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/supervision/alerts/{alert_id}/close"): {"json": {"reason": "经核查无异常"}},
    ("POST", "/supervision/alerts/{alert_id}/close"): {"data": {"reason": "经核查无异常"}},
}
