"""Access rows: mall catalogue. Merged into ``access_table.ACCESS``."""

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
}
# fmt: on

REQUESTS: Requests = {}
