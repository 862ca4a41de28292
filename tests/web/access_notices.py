"""Access rows: Public notices (pages, PDFs, API). Merged into ``access_table.ACCESS``."""

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
    ("GET",  "/api/tenders/{tender_id}/notices"):   Rule(PUBLIC, "as GET /api/tenders/{tender_id}; notices exist only once a tender is public"),
    ("GET",  "/api/notices/{notice_id}"):           Rule(PUBLIC, "every notice is public once published"),
    ("GET",  "/notices/{notice_id}"):               Rule(PUBLIC),
    ("GET",  "/notices/{notice_id}/pdf"):           Rule(PUBLIC),
    ("POST", "/api/tenders/{tender_id}/terminate"): Rule(OWNERS, "the owning organisation's tenders, before the deadline"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/tenders/{tender_id}/terminate"): {"json": {"reason": "走查终止原因"}},
}
