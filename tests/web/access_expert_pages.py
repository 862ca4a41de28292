"""Access rows: expert pages. Merged into ``access_table.ACCESS``."""

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

# fmt: off
ROWS: Rows = {
    ("GET",  "/experts"):                               Rule(POOL_READERS, "national IDs masked except for supervisors; the import and code forms for operators"),
    ("POST", "/experts/specialties"):                   Rule(OPERATORS, "as POST /api/experts/specialties"),
    ("POST", "/experts/imports"):                       Rule(OPERATORS, "as POST /api/experts/imports: all rows or none"),
    ("GET",  "/experts/{expert_id}"):                   Rule(POOL_READERS, "as GET /api/experts/{expert_id}"),
    ("GET",  "/experts/me"):                            Rule(EXPERTS, "the caller's own profile only (404 when not linked)"),
    ("POST", "/experts/me"):                            Rule(EXPERTS, "as PUT /api/experts/me"),
    ("GET",  "/tenders/{tender_id}/draws/new"):         Rule(OWNERS, "the tender's owner or purchaser organisation; the draws made as counts only"),
    ("POST", "/tenders/{tender_id}/draws/new"):         Rule(OWNERS, "as POST /api/tenders/{tender_id}/draws"),
    ("GET",  "/supervision/draws"):                     Rule(SUPERVISORS, "every draw, counts only"),
    ("GET",  "/supervision/draws/{draw_id}"):           Rule(SUPERVISORS, "names, reasons, verification"),
    ("POST", "/supervision/draws/{draw_id}/reveal"):    Rule(SUPERVISORS, "as POST /api/draws/{draw_id}/reveal"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/experts/specialties"): {"data": {"specialty-code": "Z98", "specialty-name": "走查页面专业"}},
    ("POST", "/experts/imports"): {"files": {"file": ("experts.csv", b"name,national_id,employer_uscc,region,specialties\r\n", "text/csv")}},
    ("POST", "/experts/me"): {"data": {"phone": "13800000000"}},
    ("POST", "/tenders/{tender_id}/draws/new"): {"data": {"spec-0-code": "A01", "spec-0-seats": "5", "evaluation_date": "2030-10-01"}},
}
