"""Access rows: the tender's opening key (custodians, Shamir shares). Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from tests.web.access_rules import LOGGED_IN, OWNERS, PUBLIC, Requests, Rows, Rule

# fmt: off
ROWS: Rows = {
    ("POST", "/api/tenders/{tender_id}/opening-key"):              Rule(OWNERS, "the organisation running the tender, while it is accepted and not yet published"),
    ("GET",  "/api/tenders/{tender_id}/opening-key"):              Rule(PUBLIC, "for tenders the caller may see: the public key, k, n and the custodians' names; never a share"),
    ("GET",  "/api/tenders/{tender_id}/opening-key/shares/mine"):  Rule(LOGGED_IN, "the caller's own wrapped share; anyone else is 404"),
    ("POST", "/api/tenders/{tender_id}/opening-key/shares"):       Rule(LOGGED_IN, "the tender's named custodians only (others 403), after the bid deadline"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/tenders/{tender_id}/opening-key"): {"json": {"custodians": [1, 2], "threshold": 2}},
    ("POST", "/api/tenders/{tender_id}/opening-key/shares"): {"json": {"share": "A" * 43 + "="}},
}
