"""Every way a draw can be refused, each a class of its own.

The library is pure, so it cannot raise the platform's ``DomainError``; the service maps these:
``InvalidDrawRequest`` → ``InvalidInput.for_field(error.field, error.template, article=...,
**error.params)``, ``InsufficientExperts`` and ``InvalidDecline`` → ``Conflict``. Messages are
English templates with ``%(name)s`` parameters (message ids; the platform translates them), and
``rule`` is a stable code a caller can test for.
"""

from __future__ import annotations

from collections.abc import Mapping


class DrawError(Exception):
    """A draw, a decline or a verification input is refused."""

    def __init__(self, rule: str, template: str, *, field: str = "", article: str = "", **params: object) -> None:
        self.rule = rule
        self.template = template
        self.field = field
        self.article = article
        self.params: Mapping[str, object] = params
        text = template % params if params else template
        super().__init__(f"{text} [{article}]" if article else text)


class InvalidDrawRequest(DrawError):
    """The request breaks a committee rule or a limit; ``field`` names the part at fault."""


class InvalidSnapshot(DrawError):
    """The pool snapshot is malformed (a duplicate id, an unknown status, a bad date range)."""


class InsufficientExperts(DrawError):
    """Too few eligible experts remain to fill a specialty's seats."""


class InvalidDecline(DrawError):
    """A decline names someone who does not hold a seat."""
