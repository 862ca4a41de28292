"""Access rows: the expert pool. Merged into ``access_table.ACCESS``."""

from __future__ import annotations

from procurement.identity.models import Role  # noqa: F401
from tests.web.access_rules import LOGGED_IN, OWNERS, PUBLIC, SUPERVISORS, Requests, Rows, Rule, roles  # noqa: F401

# fmt: off
ROWS: Rows = {
}
# fmt: on

REQUESTS: Requests = {}
