"""Access rows: Purchaser/agency tender pages, the operator's review-queue page, obtaining documents from the public page. Merged into ``access_table.ACCESS``."""

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

REVIEWERS = roles(Role.operator, Role.supervisor)

# fmt: off
ROWS: Rows = {
    ("GET",  "/manage/tenders"):                          Rule(OWNERS, "the caller organisation's tenders: those it runs and those an agency runs for it"),
    ("GET",  "/manage/tenders/new"):                      Rule(OWNERS, "agencies choose the purchaser they act for"),
    ("POST", "/manage/tenders/new"):                      Rule(OWNERS, "as POST /api/tenders"),
    ("GET",  "/manage/tenders/{tender_id}"):              Rule(OWNERS, "the caller organisation's tenders only, also published ones; actions for the running organisation only"),
    ("GET",  "/manage/tenders/{tender_id}/edit"):         Rule(OWNERS, "the running organisation's drafts; anything else goes back to the tender's page"),
    ("POST", "/manage/tenders/{tender_id}/edit"):         Rule(OWNERS, "as PUT /api/tenders/{tender_id}"),
    ("POST", "/manage/tenders/{tender_id}/submit"):       Rule(OWNERS, "as POST /api/tenders/{tender_id}/submit"),
    ("POST", "/manage/tenders/{tender_id}/publish"):      Rule(OWNERS, "as POST /api/tenders/{tender_id}/publish"),
    ("POST", "/manage/tenders/{tender_id}/amend"):        Rule(OWNERS, "as POST /api/tenders/{tender_id}/amendments"),
    ("POST", "/manage/tenders/{tender_id}/terminate"):    Rule(OWNERS, "as POST /api/tenders/{tender_id}/terminate: the running organisation, in draft, accepted or published"),
    ("POST", "/tenders/{tender_id}/obtain"):              Rule(roles(Role.supplier), "as POST /api/tenders/{tender_id}/obtained: supplier organisations, while the documents are on offer"),
    ("GET",  "/review-queue"):                            Rule(REVIEWERS, "as GET /api/tenders/review-queue"),
    ("GET",  "/review-queue/{tender_id}"):                Rule(REVIEWERS, "submitted (and later) tenders, never drafts; the decision form for operators only"),
    ("POST", "/review-queue/{tender_id}"):                Rule(roles(Role.operator), "as POST /api/tenders/{tender_id}/review"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/manage/tenders/new"): {"data": {"title": "走查"}},
    ("POST", "/manage/tenders/{tender_id}/edit"): {"data": {"title": "走查"}},
    ("POST", "/manage/tenders/{tender_id}/publish"): {"data": {"when": "now"}},
    ("POST", "/manage/tenders/{tender_id}/amend"): {"data": {"summary": "走查澄清"}},
    ("POST", "/manage/tenders/{tender_id}/terminate"): {"data": {"reason": "走查终止原因"}},
    ("POST", "/review-queue/{tender_id}"): {"data": {"decision": "returned", "reason": "walk"}},
}
