"""Domain errors: each carries its HTTP status and a message that names the rule.

Services raise these; the app turns them into RFC 9457 problem details (API) or an error
page (HTML). Messages are shown to users, so they say what was wrong and what the rule is.
A message is an English template with named parameters (``"must be at least
%(n)s characters"``): the API sends it filled in, pages translate the template first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark, translate later"
    """Marks a message template for extraction into the catalogues; translation happens on display."""
    return message


@dataclass(frozen=True)
class FieldError:
    field: str  # a path such as "body.uscc"
    template: str
    params: tuple[tuple[str, object], ...] = ()
    # The legal article a limit comes from ("招标投标法 第二十四条"), cited after the message in
    # every language; kept apart so the message's template stays the catalogue's message id.
    article: str = ""

    @property
    def message(self) -> str:
        return self.shown(lambda template, **params: template % params if params else template)

    def shown(self, translate: Callable[..., str]) -> str:
        """The message through ``translate(template, **params)``, with the article cited."""
        text = translate(self.template, **dict(self.params))
        return f"{text} [{self.article}]" if self.article else text


class DomainError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"
    # Work (synchronous ORM calls) that must be committed although the transaction this error
    # rolls back is lost: ``Database.transaction`` runs it in a transaction of its own after the
    # rollback. A refused credit check is kept this way (``credit.require_clear_kept``).
    kept: Callable[[Any], object] | None = None

    def __init__(self, template: str, *, errors: list[FieldError] | None = None, **params: object) -> None:
        self.template = template
        self.params = params
        self.detail = template % params if params else template
        super().__init__(self.detail)
        self.errors = errors or []


class InvalidInput(DomainError):
    status = 422
    slug = "invalid-input"
    title = "Invalid input"

    @classmethod
    def for_errors(cls, errors: list[FieldError]) -> InvalidInput:
        return cls("%(summary)s", errors=errors, summary="; ".join(f"{e.field}: {e.message}" for e in errors))

    @classmethod
    def for_field(cls, field: str, template: str, **params: object) -> InvalidInput:
        return cls.for_errors([FieldError(field, template, tuple(params.items()))])


class NotAuthenticated(DomainError):
    status = 401
    slug = "not-authenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class TooManyAttempts(DomainError):
    status = 429
    slug = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, template: str, *, retry_after_seconds: int, **params: object) -> None:
        super().__init__(template, **params)
        self.retry_after_seconds = retry_after_seconds


class AccountLocked(DomainError):
    status = 423
    slug = "account-locked"
    title = "Account locked"
