"""Access rows: credit. Merged into ``access_table.ACCESS``."""

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

ENTRIES = "/api/credit/entries"
OPERATORS = roles(Role.operator)
CENTRE = roles(Role.operator, Role.supervisor)

# fmt: off
ROWS: Rows = {
    ("POST", ENTRIES):                                  Rule(OPERATORS, "operators propose; never in force without a supervisor"),
    ("POST", ENTRIES + "/{entry_id}/decision-document"): Rule(OPERATORS, "while the entry is proposed"),
    ("POST", ENTRIES + "/{entry_id}/approve"):          Rule(SUPERVISORS, "a supervisor who is not the proposer (two people)"),
    ("POST", ENTRIES + "/{entry_id}/reject"):           Rule(SUPERVISORS, "a supervisor who is not the proposer, with a reason"),
    ("POST", ENTRIES + "/{entry_id}/lift"):             Rule(SUPERVISORS, "entries in force, with a reason"),
    ("GET",  ENTRIES):                                  Rule(PUBLIC, "in force, expired and lifted entries; never proposed or rejected ones"),
    ("GET",  ENTRIES + "/{entry_id}"):                  Rule(PUBLIC, "published entries; every status and field to operators and supervisors"),
    ("GET",  ENTRIES + ".csv"):                         Rule(PUBLIC, "the published fields of published entries"),
    ("GET",  "/api/credit/proposals"):                  Rule(CENTRE, "proposals waiting for a supervisor"),
    ("POST", "/api/credit/imports"):                    Rule(OPERATORS, "each row becomes a proposal; all rows or none"),
    ("GET",  "/api/credit/checks"):                     Rule(SUPERVISORS, "the stored checks and what each saw"),
    ("GET",  "/credit"):                                Rule(PUBLIC, "the public list"),
    ("GET",  "/credit/{entry_id}"):                     Rule(PUBLIC, "as GET /api/credit/entries/{entry_id}"),
    ("GET",  "/credit/proposals"):                      Rule(OPERATORS, "the operators' page"),
    ("POST", "/credit/proposals"):                      Rule(OPERATORS, "as POST /api/credit/entries with its decision document"),
    ("POST", "/credit/imports"):                        Rule(OPERATORS, "as POST /api/credit/imports"),
    ("GET",  "/credit/review"):                         Rule(SUPERVISORS, "the supervisors' queue"),
    ("POST", "/credit/{entry_id}/approve"):             Rule(SUPERVISORS, "as the API"),
    ("POST", "/credit/{entry_id}/reject"):              Rule(SUPERVISORS, "as the API"),
    ("POST", "/credit/{entry_id}/lift"):                Rule(SUPERVISORS, "as the API"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", ENTRIES + "/{entry_id}/decision-document"): {"content": b"%PDF-1.7 decision"},
    ("POST", ENTRIES + "/{entry_id}/reject"): {"json": {"reason": "walk through the routes"}},
    ("POST", ENTRIES + "/{entry_id}/lift"): {"json": {"reason": "walk through the routes"}},
    ("POST", "/api/credit/imports"): {"content": b"uscc\r\n"},
    ("POST", "/credit/{entry_id}/reject"): {"data": {"reason": "walk through the routes"}},
    ("POST", "/credit/{entry_id}/lift"): {"data": {"reason": "walk through the routes"}},
}
