"""Access rows: the expert pool. Merged into ``access_table.ACCESS``."""

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

OPERATORS = roles(Role.operator)
POOL_READERS = roles(Role.operator, Role.supervisor)
EXPERTS = roles(Role.expert)
RATERS = roles(Role.purchaser, Role.supervisor)

# fmt: off
ROWS: Rows = {
    ("GET",  "/api/experts/specialties"):  Rule(LOGGED_IN, "the whole specialty code list"),
    ("POST", "/api/experts/specialties"):  Rule(OPERATORS, "the parent code must exist"),
    ("POST", "/api/experts/imports"):      Rule(OPERATORS, "all rows or none; one audit entry per import"),
    ("GET",  "/api/experts"):              Rule(POOL_READERS, "national IDs masked except for supervisors"),
    ("GET",  "/api/experts.csv"):          Rule(POOL_READERS, "national IDs masked except for supervisors"),
    ("GET",  "/api/experts/{expert_id}"):  Rule(POOL_READERS, "national ID masked except for supervisors"),
    ("GET",  "/api/experts/me"):           Rule(EXPERTS, "the caller's own expert profile only (404 when not linked)"),
    ("PUT",  "/api/experts/me"):           Rule(EXPERTS, "the caller's own profile only: phone, relationships, unavailable periods"),
    ("POST", "/api/tenders/{tender_id}/draws"):      Rule(OWNERS, "the organisation running the tender, after bidding closed; counts only in the answer"),
    ("GET",  "/api/draws/{draw_id}"):                Rule(LOGGED_IN, "who may see the tender; names and reasons for supervisors only"),
    ("POST", "/api/draws/{draw_id}/reveal"):         Rule(SUPERVISORS, "once; the seed goes into the audit log"),
    ("GET",  "/api/draws/{draw_id}/verification"):   Rule(LOGGED_IN, "supervisors; anyone who may see the tender after the reveal"),
    ("POST", "/api/draws/{draw_id}/ratings"):        Rule(RATERS, "the tender's purchaser organisation and supervisors, once per side and expert, in the working days after the evaluation"),
    ("GET",  "/api/draws/{draw_id}/ratings"):        Rule(RATERS, "the purchaser its own side's ratings, names once the evaluation ended; supervisors all, with averages"),
    ("GET",  "/api/experts/{expert_id}/ratings"):    Rule(SUPERVISORS, "average, count and every rating"),
    ("GET",  "/api/expert-ratings/flagged"):         Rule(SUPERVISORS, "average below the review threshold over at least the minimum count"),
    ("GET",  "/tenders/{tender_id}/expert-ratings"): Rule(RATERS, "as GET /api/draws/{draw_id}/ratings, for each draw of the tender"),
    ("POST", "/tenders/{tender_id}/expert-ratings"): Rule(RATERS, "as POST /api/draws/{draw_id}/ratings"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/experts/specialties"): {"json": {"code": "Z99", "name": "走查专业"}},
    ("POST", "/api/experts/imports"): {"content": b"name,national_id,employer_uscc,region,specialties\r\n"},
    ("PUT", "/api/experts/me"): {"json": {"phone": "13800000000"}},
    ("POST", "/api/tenders/{tender_id}/draws"): {"json": {"seats": {"A01": 5}, "evaluation_date": "2030-10-01"}},
    ("POST", "/api/draws/{draw_id}/ratings"): {"json": {"expert_id": 1, "score": 80, "comment": "走查"}},
    ("POST", "/tenders/{tender_id}/expert-ratings"): {"data": {"draw_id": "1", "expert_id": "1", "score": "80", "comment": "走查"}},
}
