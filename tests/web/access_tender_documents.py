"""Access rows: Tender documents: upload, versions, obtaining, downloads. Merged into ``access_table.ACCESS``."""

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

DOCUMENTS = "/api/tenders/{tender_id}/documents"
OVERSEERS = roles(Role.purchaser, Role.agency, Role.operator, Role.supervisor)

# fmt: off
ROWS: Rows = {
    ("POST", DOCUMENTS):                                       Rule(OWNERS, "the organisation running the tender; a draft freely, a published tender with an amendment"),
    ("POST", DOCUMENTS + "/{document_id}/versions"):           Rule(OWNERS, "as uploading a document; earlier versions stay"),
    ("GET",  DOCUMENTS):                                       Rule(PUBLIC, "as GET /api/tenders/{tender_id}: names, versions, SHA-256 and sizes"),
    ("GET",  DOCUMENTS + "/{document_id}/versions/{version}"): Rule(PUBLIC, "anyone once the tender is public (招标文件全程挂网); before, those running or overseeing it"),
    ("POST", "/api/tenders/{tender_id}/obtained"):             Rule(roles(Role.supplier), "supplier organisations, for a published tender while its documents are on offer"),
    ("GET",  "/api/tenders/{tender_id}/obtained"):             Rule(OVERSEERS, "the owner and purchaser organisations, operators and supervisors; never other suppliers (招标投标法 第二十二条)"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", DOCUMENTS): {"params": {"name": "走查.pdf", "kind": "attachment"}, "content": b"%PDF-1.7 walk"},
    ("POST", DOCUMENTS + "/{document_id}/versions"): {"content": b"%PDF-1.7 walk"},
}
