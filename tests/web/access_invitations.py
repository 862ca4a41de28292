"""Access rows: invitations. Merged into ``access_table.ACCESS``."""

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

EXPERTS = roles(Role.expert)

# fmt: off
ROWS: Rows = {
    ("GET",  "/api/experts/me/invitations"):                     Rule(EXPERTS, "the caller's own invitations (404 when not linked to an expert)"),
    ("POST", "/api/invitations/{invitation_id}/accept"):         Rule(EXPERTS, "one's own invitation only (another's is 404), before its answer time"),
    ("POST", "/api/invitations/{invitation_id}/decline"):        Rule(EXPERTS, "one's own invitation only, with a reason; a replacement is drawn"),
    ("POST", "/api/invitations/{invitation_id}/check-in"):       Rule(EXPERTS, "one's own accepted invitation, on the evaluation days only"),
    ("GET",  "/invitations/{token}"):                            Rule(PUBLIC, "the one-time link is the proof; wrong or spent tokens are 404"),
    ("POST", "/invitations/{token}/accept"):                     Rule(PUBLIC, "the one-time link; spends the token"),
    ("POST", "/invitations/{token}/decline"):                    Rule(PUBLIC, "the one-time link, with a reason; spends the token"),
    ("GET",  "/experts/me/invitations"):                         Rule(EXPERTS, "the caller's own invitations"),
    ("POST", "/experts/me/invitations/{invitation_id}/accept"):  Rule(EXPERTS, "one's own invitation only"),
    ("POST", "/experts/me/invitations/{invitation_id}/decline"): Rule(EXPERTS, "one's own invitation only, with a reason"),
    ("POST", "/experts/me/invitations/{invitation_id}/check-in"): Rule(EXPERTS, "one's own accepted invitation, on the evaluation days only"),
}
# fmt: on

REQUESTS: Requests = {
    ("POST", "/api/invitations/{invitation_id}/decline"): {"json": {"reason": "出差"}},
    ("POST", "/api/invitations/{invitation_id}/check-in"): {"json": {"conflict": False}},
    ("POST", "/invitations/{token}/decline"): {"data": {"reason": "出差"}},
    ("POST", "/experts/me/invitations/{invitation_id}/decline"): {"data": {"reason": "出差"}},
    ("POST", "/experts/me/invitations/{invitation_id}/check-in"): {"data": {"conflict": "0"}},
}
