"""One Jinja environment for pages and PDFs, speaking the request's language."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, FileSystemLoader, select_autoescape

from procurement import i18n
from procurement.clock import to_display
from procurement.paths import TEMPLATES_DIR


def format_datetime(moment: datetime | None) -> str:
    """Times are stored in UTC and shown in Beijing time."""
    if moment is None:
        return ""
    return to_display(moment).strftime("%Y-%m-%d %H:%M:%S")


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = format_datetime
    env.globals["current_language"] = i18n.language_var.get
    env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    env.globals["HTML_LANG"] = i18n.HTML_LANG
    return env
