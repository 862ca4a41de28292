"""Every way the scoring library refuses its input, each a class of its own.

The library is pure, so it cannot raise the platform's ``DomainError``; callers map these to
``InvalidInput`` with a ``FieldError(prefix + error.field, error.template, params, error.article)``.
Messages are English templates with ``%(name)s`` parameters (message ids: the platform
translates them on display), marked with this module's own ``N_`` so that the catalogue
extractor, which looks for calls named ``N_``, finds them without the library importing the
platform.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    return message


class ScoringError(Exception):
    """Input the scoring library refuses; ``field`` names the part at fault (``criteria[1].points``)."""

    def __init__(self, field: str, template: str, params: Mapping[str, object] | None = None, article: str = "") -> None:
        self.field = field
        self.template = template
        self.params: Mapping[str, object] = dict(params or {})
        self.article = article
        text = template % self.params if self.params else template
        super().__init__(f"{field}: {text} [{article}]" if article else f"{field}: {text}")


class InvalidScheme(ScoringError):
    """An evaluation scheme the law or the platform does not allow."""


class InvalidSheet(ScoringError):
    """A member's score sheet does not fit the scheme (a criterion missing, unknown or out of range)."""


class InvalidEvaluation(ScoringError):
    """The bids and sheets handed to ``evaluate`` do not make one evaluation."""
