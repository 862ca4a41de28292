"""Who is acting: the subject every service call is authorised and audited against."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    organisation_id: int
    organisation_kind: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # How the request was authenticated: "cookie" (pages, needs CSRF) or "bearer" (API).
    via: str = "bearer"
    session_id: int | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM_ACTOR_NAME = "system"  # the scheduler and the CLI, in audit entries
