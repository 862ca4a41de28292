"""Access rows: Change feed, Atom feed, OCDS releases and records. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from tests.web.access_rules import PUBLIC, Requests, Rows, Rule

# fmt: off
ROWS: Rows = {
    ("GET", "/api/ocds/tenders/{tender_id}/releases"): Rule(PUBLIC, "published tenders only (as GET /api/tenders/{tender_id} for nobody logged in); others 404"),
    ("GET", "/api/ocds/tenders/{tender_id}/record"):   Rule(PUBLIC, "as its releases"),
    ("GET", "/api/ocds/releases"):                     Rule(PUBLIC, "releases of published tenders, a bounded date range, held to the watermark"),
    ("GET", "/api/feed/tenders"):                      Rule(PUBLIC, "changes of published tenders only"),
    ("GET", "/feeds/notices.atom"):                    Rule(PUBLIC, "notices of published tenders only"),
}
# fmt: on

REQUESTS: Requests = {
    ("GET", "/api/ocds/releases"): {"params": {"from": "2025-12-20T00:00:00+08:00"}},
}
