"""Access rows: mall catalogue. Merged into ``access_table.ACCESS``."""

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

M = "/api/mall"
OPERATORS = roles(Role.operator)
SUPPLIERS = roles(Role.supplier)
WATCHERS = roles(Role.operator, Role.supervisor)

# fmt: off
ROWS: Rows = {
    ("GET",   M + "/products"):                              Rule(PUBLIC, "products on sale only"),
    ("GET",   M + "/products/{product_id}"):                 Rule(PUBLIC, "on sale to anyone; any state to its supplier, operators and supervisors"),
    ("GET",   M + "/products/{product_id}/prices"):          Rule(PUBLIC, "as GET /products/{product_id}"),
    ("GET",   M + "/products/{product_id}/references"):      Rule(PUBLIC, "as GET /products/{product_id}"),
    ("GET",   M + "/compare"):                               Rule(PUBLIC, "up to four products, each as GET /products/{product_id}"),
    ("GET",   M + "/files/{file_id}"):                       Rule(PUBLIC, "files of products the caller may see"),
    ("GET",   M + "/categories"):                            Rule(PUBLIC),
    ("POST",  M + "/categories"):                            Rule(OPERATORS),
    ("PATCH", M + "/categories/{category_id}"):              Rule(OPERATORS),
    ("GET",   M + "/agreements"):                            Rule(PUBLIC),
    ("POST",  M + "/agreements"):                            Rule(OPERATORS),
    ("POST",  M + "/products"):                              Rule(SUPPLIERS, "approved for the agreement and category; not sanctioned or blacklisted"),
    ("PATCH", M + "/products/{product_id}"):                 Rule(SUPPLIERS, "the caller's own products; another's is 404"),
    ("POST",  M + "/products/{product_id}/references"):      Rule(OPERATORS),
    ("POST",  M + "/applications"):                          Rule(SUPPLIERS, "for the caller's own organisation"),
    ("POST",  M + "/applications/{application_id}/documents"): Rule(SUPPLIERS, "the caller's own waiting application"),
    ("GET",   M + "/applications"):                          Rule(roles(Role.supplier, Role.operator, Role.supervisor), "suppliers: their own"),
    ("POST",  M + "/applications/{application_id}/decision"): Rule(OPERATORS),
    ("GET",   M + "/my-products"):                           Rule(SUPPLIERS, "the caller's organisation's"),
    ("PUT",   M + "/products/{product_id}/price"):           Rule(SUPPLIERS, "the caller's own products; another's is 404"),
    ("POST",  M + "/products/{product_id}/listing"):         Rule(roles(Role.supplier, Role.operator), "suppliers: their own; operators delist any"),
    ("POST",  M + "/products/{product_id}/files"):           Rule(SUPPLIERS, "the caller's own products"),
    ("PUT",   M + "/products/{product_id}/ceiling"):         Rule(OPERATORS),
    ("POST",  M + "/reference-imports"):                     Rule(OPERATORS, "all rows or none"),
    ("POST",  M + "/reviews/{review_id}/decision"):          Rule(OPERATORS),
    ("GET",   M + "/monitoring"):                            Rule(WATCHERS),
    ("GET",   M + "/sanctions"):                             Rule(WATCHERS),
    ("POST",  M + "/sanctions"):                             Rule(OPERATORS),
    ("POST",  M + "/sanctions/{sanction_id}/lift"):          Rule(OPERATORS),
    ("GET",   "/mall"):                                      Rule(PUBLIC, "the public catalogue"),
    ("GET",   "/mall/products/{product_id}"):                Rule(PUBLIC, "as the API"),
    ("GET",   "/mall/compare"):                              Rule(PUBLIC, "as the API"),
    ("GET",   "/mall/my"):                                   Rule(SUPPLIERS, "the caller's organisation's products and applications"),
    ("POST",  "/mall/my/products"):                          Rule(SUPPLIERS, "as POST /api/mall/products"),
    ("POST",  "/mall/my/products/{product_id}/price"):       Rule(SUPPLIERS, "as the API"),
    ("POST",  "/mall/my/products/{product_id}/image"):       Rule(SUPPLIERS, "as the API"),
    ("POST",  "/mall/my/applications"):                      Rule(SUPPLIERS, "as the API, with its document"),
    ("GET",   "/mall/monitoring"):                           Rule(WATCHERS, "supervisors read, operators act"),
    ("GET",   "/mall/onboarding"):                           Rule(WATCHERS, "supervisors read, operators act"),
    ("POST",  "/mall/reviews/{review_id}/decision"):         Rule(OPERATORS),
    ("POST",  "/mall/applications/{application_id}/decision"): Rule(OPERATORS),
    ("POST",  "/mall/sanctions"):                            Rule(OPERATORS),
    ("POST",  "/mall/sanctions/{sanction_id}/lift"):         Rule(OPERATORS),
    ("POST",  "/mall/reference-imports"):                    Rule(OPERATORS, "all rows or none"),
}
# fmt: on

REQUESTS: Requests = {
    ("GET", M + "/compare"): {"params": {"ids": "999999"}},
    ("POST", M + "/applications/{application_id}/documents"): {"params": {"name": "a.pdf"}, "content": b"%PDF-1.7"},
    ("POST", M + "/products/{product_id}/files"): {"params": {"name": "a.png"}, "content": b"\x89PNG"},
    ("POST", M + "/reference-imports"): {"content": b"product_id\r\n"},
    ("POST", "/mall/reviews/{review_id}/decision"): {"data": {"reason": "walk", "decision": "approve"}},
    ("POST", "/mall/applications/{application_id}/decision"): {"data": {"reason": "walk", "decision": "approve"}},
    ("POST", "/mall/sanctions/{sanction_id}/lift"): {"data": {"reason": "walk"}},
}
