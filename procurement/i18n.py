"""Languages: Chinese by default, English on request.

Message ids are English; ``procurement/locale/zh/LC_MESSAGES/messages.po`` gives the
Chinese (``python scripts/i18n.py extract`` keeps it in step with the code, ``check``
lists what is untranslated). The catalogue is read with Babel at start-up (no compiled
.mo to keep in step). The current request's language lives in a context variable set by
the middleware, so templates, error pages and PDFs all speak it without passing it around.

Some messages reach us already filled in: pydantic's ("String should have at least 3
characters") and validators that format their own text. When such a message is not in the
catalogue as it stands, ``gettext`` matches it against the catalogue's templates
(``"String should have at least %(min_length)s characters"``), takes the parameters back
out and translates the template. A template needs some words around its placeholders to
take part, so a bare ``"%(field)s: %(message)s"`` never swallows other messages.
"""

from __future__ import annotations

import contextvars
import re
from functools import cache

from babel.messages.pofile import read_po

from procurement.errors import N_
from procurement.paths import LOCALE_DIR

__all__ = ["N_", "gettext", "ngettext"]

SUPPORTED = ("zh", "en")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
HTML_LANG = {"zh": "zh-CN", "en": "en"}

language_var: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="zh")

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")
_FORMAT_PART = re.compile(r"%\((\w+)\)[sdifr]|%%")
# Words outside the placeholders a template needs before filled-in text is matched against it.
_MIN_LITERAL_LETTERS = 6


@cache
def catalogue(language: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    table: dict[str, str] = {}
    for m in po:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, str):
            if isinstance(m.string, str) and m.string:
                table[m.id] = m.string
        else:  # a plural entry: Chinese has one form, used for the singular and the plural id
            forms = [s for s in (m.string if isinstance(m.string, (list, tuple)) else [m.string]) if s]
            if forms:
                for msgid in m.id:
                    table[msgid] = forms[0]
    return table


def _pattern_for(template: str) -> re.Pattern[str] | None:
    literal = _FORMAT_PART.sub("", template)
    if not PLACEHOLDER.search(template) or sum(ch.isalpha() for ch in literal) < _MIN_LITERAL_LETTERS:
        return None
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _FORMAT_PART.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name = match.group(1)
        if name is None:
            parts.append("%")
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.+?)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


@cache
def _patterns(language: str) -> list[tuple[re.Pattern[str], str]]:
    found: list[tuple[int, re.Pattern[str], str]] = []
    for msgid, translated in catalogue(language).items():
        pattern = _pattern_for(msgid)
        if pattern is not None:
            found.append((len(_FORMAT_PART.sub("", msgid)), pattern, translated))
    found.sort(key=lambda item: -item[0])  # the most specific template first
    return [(pattern, translated) for _, pattern, translated in found]


def translate_filled(message: str, language: str | None = None) -> str:
    """Translate a message that was formatted before it reached us, or return it unchanged."""
    for pattern, translated in _patterns(language or language_var.get()):
        match = pattern.match(message)
        if match:
            try:
                return translated % match.groupdict()
            except (KeyError, TypeError, ValueError):
                return message
    return message


def gettext(message: str, **params: object) -> str:
    translated = catalogue(language_var.get()).get(message)
    if translated is None:
        if not params:
            return translate_filled(message)
        translated = message
    return translated % params if params else translated


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    return gettext(singular if n == 1 else plural, **params)


def choose_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in SUPPORTED else default
