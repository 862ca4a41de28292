"""Render Jinja templates to PDF with WeasyPrint.

The app shares one ``jinja2.Environment`` (with i18n) between pages and PDFs, so the
renderer is handed that environment; ``make_pdf_environment`` builds an equivalent one
for tests and the CLI.

WeasyPrint is synchronous and CPU-bound (layout, font subsetting), so ``render`` runs it
in a worker thread and the event loop keeps serving requests meanwhile. One
``FontConfiguration`` (a Pango font map plus caches) is kept per renderer so fonts are
loaded once; it is not safe to share between threads, so renders on one renderer are
serialised by a lock. Create more renderers if PDFs must be produced in parallel.
"""

from __future__ import annotations

import asyncio
import gettext
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import jinja2.ext
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from procurement.paths import TEMPLATES_DIR

__all__ = ["PdfRenderError", "PdfRenderer", "make_pdf_environment"]


class PdfRenderError(Exception):
    """A document could not be rendered (for instance a stylesheet or image is missing)."""


def make_pdf_environment(
    translations: gettext.NullTranslations | None = None,
    *,
    templates_dir: Path = TEMPLATES_DIR,
) -> jinja2.Environment:
    """A standalone environment for PDF templates, like the app's shared one.

    Templates are loaded from ``templates_dir`` (names such as ``"pdf/platform_sheet.html"``),
    HTML is autoescaped and ``jinja2.ext.i18n`` is installed with ``translations``, or null
    translations (messages pass through unchanged) when none are given.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        extensions=[jinja2.ext.i18n],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if translations is None:
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    else:
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


class _LocalOnlyFetcher(URLFetcher):
    """Fetch only ``data:`` URLs and files inside the templates directory.

    A document must not reach the network or read arbitrary files, even if a URL slipped
    into its context; and a missing stylesheet or image is an error, not a warning, because
    a notice rendered without its layout is not a valid notice.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self._root = root.resolve()

    def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
        parts = urlsplit(url)
        if parts.scheme.lower() == "file":
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(self._root):
                raise ValueError(f"file outside the templates directory: {url}")
        return super().fetch(url, headers)


class PdfRenderer:
    """Renders templates of a Jinja environment to PDF bytes.

    Relative URLs in the HTML (stylesheets, images) resolve against ``base_dir``, the
    templates directory by default, so ``pdf/document.css`` is ``templates/pdf/document.css``.
    """

    def __init__(self, environment: jinja2.Environment, *, base_dir: Path = TEMPLATES_DIR) -> None:
        self.environment = environment
        self.base_dir = Path(base_dir).resolve()
        self._font_config = FontConfiguration()
        self._lock = threading.Lock()

    async def render(self, template_name: str, context: Mapping[str, Any]) -> bytes:
        """Render ``template_name`` with ``context`` to PDF, off the event loop."""
        if self.environment.is_async:
            # An async environment renders on the loop; only WeasyPrint goes to a thread.
            template = self.environment.get_template(template_name)
            html = await template.render_async(dict(context))
            return await asyncio.to_thread(self.html_to_pdf, html)
        return await asyncio.to_thread(self.render_sync, template_name, context)

    def render_sync(self, template_name: str, context: Mapping[str, Any]) -> bytes:
        """Render ``template_name`` with ``context`` to PDF in the calling thread."""
        html = self.environment.get_template(template_name).render(dict(context))
        return self.html_to_pdf(html)

    def html_to_pdf(self, html: str) -> bytes:
        """Lay out an HTML string (relative URLs against ``base_dir``) and return the PDF."""
        document = weasyprint.HTML(
            string=html,
            base_url=str(self.base_dir) + "/",
            url_fetcher=_LocalOnlyFetcher(self.base_dir),  # it keeps per-request state
        )
        try:
            with self._lock:
                pdf = document.write_pdf(font_config=self._font_config)
        except FatalURLFetchingError as exc:  # a BaseException: turn it into an ordinary one
            raise PdfRenderError(str(exc)) from exc
        if pdf is None:  # only when a target file is given, which is never the case here
            raise PdfRenderError("WeasyPrint returned no PDF")
        return pdf
