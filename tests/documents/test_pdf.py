"""PDF rendering: fonts embedded, Chinese text and page footers, pagination, async."""

from __future__ import annotations

import asyncio
import gettext
import re
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest

from procurement.documents import PdfRenderer, PdfRenderError, make_pdf_environment
from procurement.paths import PROJECT_ROOT

SHEET = "pdf/platform_sheet.html"
PREVIEW_DIR = PROJECT_ROOT / "test-output" / "documents"
FINGERPRINT = "9f3ac4d1" * 8  # SHA-256, hex, as the project stores key fingerprints


def sheet_context(row_count: int, **overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "base_url": "https://ggzy.example.gov.cn",
        "audit_key_fingerprint": FINGERPRINT,
        "generated_at": datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        "rows": [
            (f"配置项 {i} / setting_{i}", f"深圳市公共资源交易中心第{i}号标段（招标公告）")
            for i in range(1, row_count + 1)
        ],
    }
    context.update(overrides)
    return context


def page_count(pdf_path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert match, info.stdout
    return int(match[1])


def page_texts(pdf_path: Path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")[:-1]


def pdf_fonts(pdf_path: Path) -> list[dict[str, str]]:
    """pdffonts' table as dicts; columns are cut at the gaps of its dashed rule."""
    lines = subprocess.run(
        ["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    header, rule, rows = lines[0], lines[1], lines[2:]
    assert header.split()[:6] == ["name", "type", "encoding", "emb", "sub", "uni"], header
    columns = ["name", "type", "encoding", "emb", "sub", "uni", "object"]
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    bounds = list(zip(starts, [*starts[1:], None]))
    return [
        {column: row[start:end].strip() for column, (start, end) in zip(columns, bounds)}
        for row in rows
        if row.strip()
    ]


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer(make_pdf_environment())


@pytest.fixture(scope="module")
def sheet_pdf(renderer: PdfRenderer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The platform sheet with enough rows for a second page."""
    path = tmp_path_factory.mktemp("pdf") / "platform_sheet.pdf"
    path.write_bytes(renderer.render_sync(SHEET, sheet_context(40)))
    return path


def test_platform_sheet_is_a_pdf_of_several_pages(sheet_pdf: Path) -> None:
    assert sheet_pdf.read_bytes().startswith(b"%PDF-")
    assert page_count(sheet_pdf) >= 2


def test_platform_sheet_embeds_a_noto_cjk_subset_and_nothing_unembedded(sheet_pdf: Path) -> None:
    fonts = pdf_fonts(sheet_pdf)
    assert fonts
    # WeasyPrint names fonts from the family ("Noto-Sans-CJK-SC"), so ignore separators.
    noto = [f for f in fonts if re.search(r"Noto(Sans|Serif)CJK", re.sub(r"[\W_]", "", f["name"]))]
    assert noto, fonts
    assert all(f["emb"] == "yes" and f["sub"] == "yes" for f in noto), noto
    unembedded = [f for f in fonts if f["emb"] != "yes"]
    assert not unembedded, unembedded


def test_platform_sheet_text_and_page_footers(sheet_pdf: Path) -> None:
    total = page_count(sheet_pdf)
    pages = page_texts(sheet_pdf)
    assert len(pages) == total

    first = pages[0]
    assert "平台信息 / Platform information" in first
    assert "公共资源交易平台" in first  # the default platform name
    assert "https://ggzy.example.gov.cn" in first
    assert FINGERPRINT in first
    assert "2026-01-05 09:00:00+08:00" in first

    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {total} 页" in text, text
        others = [n for n in range(1, total + 1) if n != number]
        assert not any(f"第 {n} 页 / 共 {total} 页" in text for n in others)


def test_long_table_paginates_with_repeated_header(sheet_pdf: Path) -> None:
    pages = page_texts(sheet_pdf)
    assert "配置项 1 / setting_1" in pages[0]
    assert "配置项 40 / setting_40" in pages[-1]
    assert "配置项 40 / setting_40" not in pages[0]
    assert all("序号" in page for page in pages[1:])  # the table header repeats
    assert "平台信息 / Platform information" in pages[1]  # the running header
    assert "（以下无正文）" in pages[-1]


def test_platform_sheet_preview_png(sheet_pdf: Path) -> None:
    """Page 1 as a PNG under test-output/documents/, to be looked at by a person."""
    PREVIEW_DIR.mkdir(parents=True, exist_ok=True)
    stem = PREVIEW_DIR / "platform_sheet-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(sheet_pdf), str(stem)],
        check=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_harfbuzz_subset_is_available() -> None:
    """Without libharfbuzz-subset WeasyPrint falls back to fontTools: ~30 s per CJK font."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    assert harfbuzz_subset is not None
    assert harfbuzz.hb_version_atleast(4, 1, 0)


async def test_render_keeps_the_event_loop_responsive(renderer: PdfRenderer) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        pdf = await renderer.render(SHEET, sheet_context(40))
    finally:
        ticker.cancel()
    assert pdf.startswith(b"%PDF-")
    assert ticks > 0


async def test_context_is_escaped_and_platform_name_used(renderer: PdfRenderer, tmp_path: Path) -> None:
    pdf = await renderer.render(
        SHEET,
        sheet_context(0, platform_name="深圳公共资源交易中心", rows={"<b>标段</b>": "A & B"}),
    )
    path = tmp_path / "escaped.pdf"
    path.write_bytes(pdf)
    (text,) = page_texts(path)
    assert "深圳公共资源交易中心" in text
    assert "<b>标段</b>" in text
    assert "A&B" in text.replace(" ", "")  # pdftotext -layout may drop narrow spaces
    assert "第 1 页 / 共 1 页" in text


def test_missing_stylesheet_is_an_error() -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.html": '<link rel="stylesheet" href="pdf/missing.css"><p>x</p>'})
    )
    with pytest.raises(PdfRenderError):
        PdfRenderer(env).render_sync("t.html", {})


def test_files_outside_the_templates_directory_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t.html": f'<link rel="stylesheet" href="{secret.as_uri()}"><p>x</p>'})
    )
    with pytest.raises(PdfRenderError):
        PdfRenderer(env).render_sync("t.html", {})


def test_make_pdf_environment_installs_i18n() -> None:
    source = '{{ _("招标公告") }}|{% trans %}开标{% endtrans %}'
    assert make_pdf_environment().from_string(source).render() == "招标公告|开标"

    class Upper(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return f"[{message}]"

    assert make_pdf_environment(Upper()).from_string(source).render() == "[招标公告]|[开标]"
