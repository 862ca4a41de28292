"""The vocabulary of the access table: who may call a route, and what the service further limits."""

from __future__ import annotations

from typing import NamedTuple

from procurement.identity.models import Role

PUBLIC = "public"
LOGGED_IN = "any logged-in user"

Who = str | frozenset[Role]


class Rule(NamedTuple):
    who: Who
    scope: str = ""


def roles(*names: Role) -> frozenset[Role]:
    return frozenset(names)


SUPERVISORS = roles(Role.supervisor)
ADMINS = roles(Role.admin)
OWNERS = roles(Role.purchaser, Role.agency)

# One area's routes: its rows, and for the routes the walk cannot call bare, what to send
# (keyword arguments of the test client: json, data, content, params, headers).
Rows = dict[tuple[str, str], Rule]
Requests = dict[tuple[str, str], dict[str, object]]
