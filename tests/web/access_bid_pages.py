"""Access rows: bid_pages (the bid page and the opening room). Merged into ``access_table.ACCESS``."""

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

# fmt: off
ROWS: Rows = {
    ("GET", "/tenders/{tender_id}/bid"):     Rule(roles(Role.supplier), "supplier organisations, for a tender they can see; only their own bids are listed"),
    ("GET", "/tenders/{tender_id}/opening"): Rule(LOGGED_IN, "as GET /api/tenders/{tender_id}/opening; start/close buttons for operators, release for the bidder's own bids"),
}
# fmt: on

REQUESTS: Requests = {}
