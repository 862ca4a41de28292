"""Languages: Chinese by default, English on request.

Message ids are English; ``procurement/locale/zh/LC_MESSAGES/messages.po`` gives the
Chinese. The catalogue is read with Babel at start-up (no compiled .mo to keep in step).
The current request's language lives in a context variable set by the middleware, so
templates, error pages and PDFs all speak it without passing it around.
"""

from __future__ import annotations

import contextvars
from functools import cache

from babel.messages.pofile import read_po

from procurement.paths import LOCALE_DIR

SUPPORTED = ("zh", "en")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
HTML_LANG = {"zh": "zh-CN", "en": "en"}

language_var: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="zh")


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def gettext(message: str, **params: object) -> str:
    translated = catalogue(language_var.get()).get(message, message)
    return translated % params if params else translated


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    return gettext(singular if n == 1 else plural, **params)


def N_(message: str) -> str:  # noqa: N802 - the conventional name for "mark, translate later"
    return message


def choose_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in SUPPORTED else default
