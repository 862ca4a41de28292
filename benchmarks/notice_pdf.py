"""A notice's PDF through the app vs. WeasyPrint rendering the same HTML directly.

Set-up: a fresh data directory, ``procurement db upgrade`` and ``procurement demo`` (which
publishes tenders through the service, so each has its tender notice; the first one is two
A4 pages). The HTML the app hands WeasyPrint for that notice is rebuilt here from the same
database with the same template environment, and checked to give a PDF of the same number
of pages as the app's.

Measured, alternately in rounds so drift falls on both alike:
- the app: ``GET /notices/{id}/pdf`` from ``procurement serve`` (uvicorn, one worker), driven
  by the load generator in its own process with 2 keep-alive connections (the app renders
  one PDF at a time per process; the second connection keeps it from idling between
  requests);
- the baseline: this process calling ``weasyprint.HTML(string=html).write_pdf()`` in a loop
  with one reused ``FontConfiguration``, as a program that only wants the PDF would, while
  the server is idle.

Printed: PDFs per second (ratio = app / direct). Target: ratio >= 0.8, i.e. the app's own
work (database reads, templating, the HTTP round trip) costs at most a fifth.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from benchmarks import emit, note
from benchmarks._server import environment, get, load, per_route, procurement, serving
from procurement.paths import TEMPLATES_DIR

BENCH = "notice_pdf"
TARGET = 0.8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per measured run (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each side (default 3)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per side (default 3)")


async def _notice_html(data_dir: Path) -> tuple[int, str]:
    """The first notice's id and the HTML the app renders for its PDF."""
    from procurement import i18n
    from procurement.clock import to_display
    from procurement.platform import Platform
    from procurement.settings import Settings
    from procurement.tenders.notice_pages import _view
    from procurement.web.templating import make_environment

    settings = Settings(data_dir=data_dir, base_url="http://127.0.0.1")
    platform = Platform.build(settings)
    try:
        async with platform.db.transaction(write=False) as session:
            view = await _view(session, 1)
        i18n.language_var.set(settings.default_language)
        html = make_environment().get_template("pdf/notice.html").render(
            notice=view, base_url=settings.base_url, generated_at=to_display(platform.clock.now()), lang=settings.default_language
        )
        return 1, html
    finally:
        await platform.close()


def _document(html: str) -> weasyprint.HTML:
    # Relative URLs (the stylesheet) resolve against templates/, as in the app.
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR) + "/")


def _direct(html: str, seconds: float, font_config: FontConfiguration) -> tuple[int, float]:
    """Render ``html`` to PDF repeatedly for about ``seconds``; (renders, elapsed)."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        _document(html).write_pdf(font_config=font_config)
        done += 1
    return done, time.perf_counter() - start


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-notice-pdf-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up a fresh data directory in {data_dir}…")
        procurement(env, "db", "upgrade")
        procurement(env, "demo")
        notice_id, html = asyncio.run(_notice_html(data_dir))
        route = f"/notices/{notice_id}/pdf"
        font_config = FontConfiguration()
        direct_pdf = _document(html).write_pdf(font_config=font_config) or b""
        with serving(env, Path(tmp) / "server.log") as port:
            status, app_pdf = get(port, route)
            if status != 200:
                raise SystemExit(f"{route} answered {status}: {app_pdf[:300]!r}")
            pages = _document(html).render(font_config=font_config).pages
            note(f"notice {notice_id}: {len(pages)} pages; app PDF {len(app_pdf):,} bytes, direct PDF {len(direct_pdf):,} bytes")
            if len(pages) != 2:
                note(f"warning: the notice has {len(pages)} pages, not the two the benchmark is meant for")
            app_runs: list[dict[str, object]] = []
            direct_runs: list[tuple[int, float]] = []
            note(f"warm-up {args.warmup} s per side, then {args.rounds} alternating runs of {args.duration} s…")
            load(port, 2, [(route, args.warmup)])
            _direct(html, args.warmup, font_config)
            for _ in range(args.rounds):
                app_runs += load(port, 2, [(route, args.duration)])
                direct_runs.append(_direct(html, args.duration, font_config))
        totals = per_route(app_runs, note)[route]
        app_rate = totals["requests"] / totals["seconds"]
        direct_rate = sum(n for n, _ in direct_runs) / sum(s for _, s in direct_runs)
        note("direct runs at " + ", ".join(f"{n / s:.2f}" for n, s in direct_runs) + " PDFs/s")
    result = emit(BENCH, "pdfs_per_second", app_rate, direct_rate, app_rate / direct_rate,
                  f"PDF/s, GET {route} (2-page notice) vs WeasyPrint on the same HTML in-process")
    note(f"ratio {result['ratio']:.3f} against a target of {TARGET}: {'met' if float(result['ratio']) >= TARGET else 'NOT met'}")
    return [result]
