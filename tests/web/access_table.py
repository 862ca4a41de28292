"""Who may call each route: the written table the authorisation walk holds the app to.

Written from what the product should allow, not copied from the guards. One row per
operation of the OpenAPI: ``(METHOD, path template) -> Rule(who, scope)``.

- ``who`` is ``PUBLIC``, ``LOGGED_IN`` ("any logged-in user") or a set of roles, any one of
  which is enough. The walk expects everyone else to be refused: 401 when nobody is logged
  in, 403 for a logged-in user without one of the roles.
- ``scope`` says, in words, what the service further limits for those who pass the guard
  (by the acting user or organisation). The walk does not check it; scoping tests do
  (``test_authorization.py``), and a reviewer reads it here.

A new route fails the walk until it has a row here: decide who may call it, then add it.
"""

from __future__ import annotations

from procurement.identity.models import Role
from tests.web import (
    access_award,
    access_bid_pages,
    access_bid_security,
    access_bids,
    access_credit,
    access_evaluation,
    access_expert_pages,
    access_experts,
    access_invitations,
    access_mall_catalogue,
    access_mall_orders,
    access_notices,
    access_opening_key,
    access_supervision,
    access_tender_documents,
    access_tender_feeds,
    access_tender_manage,
)
from tests.web.access_rules import (
    ADMINS,
    LOGGED_IN,
    PUBLIC,
    SUPERVISORS,
    Requests,
    Rows,
    Rule,
    roles,
)

# Areas keep their rows in their own modules (tests/web/access_*.py), merged here.
AREAS = (
    access_award, access_bid_pages, access_bid_security, access_bids, access_credit, access_evaluation, access_expert_pages, access_experts,
    access_invitations, access_mall_catalogue, access_mall_orders, access_notices, access_opening_key, access_supervision, access_tender_documents, access_tender_feeds, access_tender_manage,
)

# fmt: off
ACCESS: Rows = {
    # --- Probes and the platform's public key ------------------------------------------------
    ("GET",    "/health"):                         Rule(PUBLIC, "liveness probe"),
    ("GET",    "/ready"):                          Rule(PUBLIC, "readiness probe for the load balancer"),
    ("GET",    "/metrics"):                        Rule(PUBLIC, "Prometheus scrapes without credentials; keep it off the public edge at the proxy"),
    ("GET",    "/api/audit/public-key"):           Rule(PUBLIC, "anyone checks checkpoints, receipts and exports offline"),

    # --- Logging in, registering ---------------------------------------------------------------
    ("POST",   "/api/auth/login"):                 Rule(PUBLIC),
    ("POST",   "/api/auth/register-supplier"):     Rule(PUBLIC, "creates a supplier organisation and its first admin only"),
    ("POST",   "/api/auth/logout"):                Rule(LOGGED_IN, "ends the caller's own session only"),

    # --- The caller's own account -----------------------------------------------------------------
    ("GET",    "/api/me"):                         Rule(LOGGED_IN, "the caller only"),
    ("POST",   "/api/me/password"):                Rule(LOGGED_IN, "the caller's own password; needs the current one"),
    ("GET",    "/api/me/keys"):                    Rule(LOGGED_IN, "the caller's own keys only"),
    ("POST",   "/api/me/keys"):                    Rule(LOGGED_IN, "registered to the caller"),
    ("DELETE", "/api/me/keys/{key_id}"):           Rule(LOGGED_IN, "the caller's own keys; another's key is 404"),

    # --- Organisations and users -----------------------------------------------------------------
    ("GET",    "/api/organisations"):              Rule(LOGGED_IN),
    ("POST",   "/api/organisations"):              Rule(ADMINS, "the trading centre's admins only (operator organisation); other admins get 403 from the service"),
    ("GET",    "/api/users"):                      Rule(ADMINS, "own organisation's users; every user for the trading centre's admins"),
    ("POST",   "/api/users"):                      Rule(ADMINS, "into the admin's own organisation (any, for the trading centre's admins); roles limited by organisation kind"),
    ("PATCH",  "/api/users/{user_id}"):            Rule(ADMINS, "own organisation's users (any, for the trading centre's admins); another organisation's user is 404"),

    # --- Audit log: proofs are public, entries are for supervisors --------------------------------
    ("GET",    "/api/audit/checkpoints/latest"):   Rule(PUBLIC),
    ("GET",    "/api/audit/proofs/inclusion"):     Rule(PUBLIC, "hashes only, no entry content"),
    ("GET",    "/api/audit/proofs/consistency"):   Rule(PUBLIC, "hashes only"),
    ("GET",    "/api/audit/entries"):              Rule(SUPERVISORS),
    ("GET",    "/api/audit/entries/{seq}"):        Rule(SUPERVISORS),

    # --- Tenders ---------------------------------------------------------------------------------
    ("POST",   "/api/tenders"):                    Rule(roles(Role.purchaser, Role.agency), "for the caller's organisation; an agency names its purchaser"),
    ("GET",    "/api/tenders/review-queue"):       Rule(roles(Role.operator, Role.supervisor)),
    ("GET",    "/api/tenders/{tender_id}"):        Rule(PUBLIC, "published tenders to all; drafts to their owner; submitted ones also to operators and supervisors"),
    ("PUT",    "/api/tenders/{tender_id}"):        Rule(roles(Role.purchaser, Role.agency), "the owning organisation's drafts only"),
    ("POST",   "/api/tenders/{tender_id}/submit"): Rule(roles(Role.purchaser, Role.agency), "the owning organisation only"),
    ("POST",   "/api/tenders/{tender_id}/review"): Rule(roles(Role.operator), "submitted tenders"),
    ("GET",    "/api/tenders/{tender_id}/reviews"): Rule(LOGGED_IN, "those who may see the tender"),
    ("POST",   "/api/tenders/{tender_id}/publish"): Rule(roles(Role.purchaser, Role.agency), "the owning organisation's accepted tenders"),
    ("GET",    "/api/tenders"):                    Rule(PUBLIC, "published tenders only"),
    ("POST",   "/api/tenders/{tender_id}/amendments"): Rule(roles(Role.purchaser, Role.agency), "the owning organisation's published tenders"),
    ("GET",    "/api/tenders/{tender_id}/amendments"): Rule(PUBLIC, "as GET /api/tenders/{tender_id}"),
    ("GET",    "/api/tender-rules"):               Rule(PUBLIC),
    ("GET",    "/api/calendar"):                   Rule(PUBLIC),
    ("PUT",    "/api/calendar/{day}"):             Rule(roles(Role.operator)),
    ("DELETE", "/api/calendar/{day}"):             Rule(roles(Role.operator)),

    # --- Public documents ----------------------------------------------------------------------
    ("GET",    "/platform-information.pdf"):       Rule(PUBLIC, "names the platform and its audit-key fingerprint"),

    # --- Pages ---------------------------------------------------------------------------------
    ("GET",    "/"):                               Rule(PUBLIC, "navigation shows what the caller's roles allow"),
    ("GET",    "/lang/{code}"):                    Rule(PUBLIC),
    ("GET",    "/care/{mode}"):                    Rule(PUBLIC),
    ("GET",    "/login"):                          Rule(PUBLIC),
    ("POST",   "/login"):                          Rule(PUBLIC),
    ("POST",   "/logout"):                         Rule(LOGGED_IN, "ends the caller's own session only"),
    ("GET",    "/register"):                       Rule(PUBLIC),
    ("POST",   "/register"):                       Rule(PUBLIC, "as /api/auth/register-supplier"),
    ("GET",    "/account"):                        Rule(LOGGED_IN, "the caller only"),
    ("POST",   "/account/password"):               Rule(LOGGED_IN, "the caller's own password"),
    ("GET",    "/users"):                          Rule(ADMINS, "as GET /api/users"),
    ("GET",    "/audit"):                          Rule(SUPERVISORS),
    ("GET",    "/tenders"):                        Rule(PUBLIC, "published tenders only"),
    ("GET",    "/tenders/{tender_id}"):            Rule(PUBLIC, "as GET /api/tenders/{tender_id}"),
}
# fmt: on
for _area in AREAS:
    ACCESS.update(_area.ROWS)

# What to send to the routes of the areas that need a body or parameters.
REQUESTS: Requests = {key: request for _area in AREAS for key, request in getattr(_area, "REQUESTS", {}).items()}

# Routes deliberately left out of the OpenAPI, all public: the API description itself and the
# static files of the pages. Anything else hidden from the OpenAPI fails the walk.
OUTSIDE_OPENAPI: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/schema"),
        ("GET", "/schema/swagger"),
        ("GET", "/schema/openapi.json"),
        ("GET", "/schema/oauth2-redirect.html"),
        ("GET", "/schema/{path}"),
        ("GET", "/static/{file_path}"),
        ("HEAD", "/static/{file_path}"),
    }
)


def may(rule: Rule, user_roles: frozenset[str] | None) -> bool:
    """Whether someone with these roles (None: nobody logged in) passes the rule's guard."""
    if rule.who == PUBLIC:
        return True
    if user_roles is None:
        return False
    if rule.who == LOGGED_IN:
        return True
    return bool(user_roles & rule.who)  # type: ignore[operator]
