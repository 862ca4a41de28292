"""The statistics pages in Chromium: the public summary and the supervisors' report render their charts
(SVG with a title, a description and text labels), in Chinese and in English, and the export links
download a CSV and an Excel workbook. Screenshots of each go to test-output/."""

from __future__ import annotations

from typing import Any

import pytest

from procurement.identity.models import Role
from tests.browser.conftest import LiveServer, screenshot
from tests.browser.pages import sign_in
from tests.statistics.stats_testlib import Seeded, seed_2018, write

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CHART_JS = """() => Array.from(document.querySelectorAll('figure.chart svg[role=img]')).map(svg => ({
  title: svg.querySelector('title').textContent, desc: svg.querySelector('desc').textContent,
  marks: svg.querySelectorAll('rect[x], circle').length, labels: svg.querySelectorAll('g.axis text').length,
  height: svg.getBoundingClientRect().height}))"""


async def _seed(live_server: LiveServer, make_user: Any) -> None:
    platform = live_server.app.state.platform
    purchaser_a = await make_user(Role.purchaser)
    purchaser_b = await make_user(Role.purchaser)
    reviewer = await make_user(Role.operator)
    seeded = Seeded((purchaser_a.organisation_id, purchaser_b.organisation_id), reviewer.user_id)
    await live_server.run(write(platform, seeded, seed_2018(seeded)))


async def _charts(page: Any) -> list[dict[str, Any]]:
    found = await page.evaluate(CHART_JS)
    assert len(found) == 2
    for chart in found:
        assert chart["title"] and chart["desc"] and chart["marks"] >= 2 and chart["labels"] >= 4 and chart["height"] > 100, chart
    return found


async def test_the_charts_render_in_both_languages_and_the_exports_download(page: Any, live_server: LiveServer, make_user: Any) -> None:
    await _seed(live_server, make_user)
    await page.goto("/statistics?year=2018&group_by=track")
    assert "全年进场交易项目849个" in await page.locator(".seed-lines").inner_text()
    chinese = await _charts(page)
    await screenshot(page, "statistics-public-zh")
    for link, suffix in (("#download-csv", ".csv"), ("#download-xlsx", ".xlsx")):
        async with page.expect_download() as waiting:
            await page.locator(link).click()
        download = await waiting.value
        assert download.suggested_filename == f"statistics-2018-01-01-2018-12-31-track{suffix}"
        assert (await download.path()).stat().st_size > 200
    await page.goto("/lang/en?next=/statistics%3Fyear%3D2018%26group_by%3Dmonth")
    english = await _charts(page)
    assert english[0]["title"] == "Amount traded (CNY 10,000)" and await page.locator("html").get_attribute("lang") == "en"
    assert chinese[0]["title"]  # its translation comes with the merged catalogue (/work/briefs/i18n_statistics.json)
    await screenshot(page, "statistics-public-en")

    await sign_in(page, await make_user(Role.supervisor))
    await page.goto("/supervision/statistics?year=2018&group_by=purchaser")
    await _charts(page)
    assert await page.locator("#period-pdf").count() == 1
    await screenshot(page, "statistics-supervisor-en")
    await page.goto("/lang/zh?next=/supervision/statistics%3Fyear%3D2018%26group_by%3Dregion")
    await _charts(page)
    await screenshot(page, "statistics-supervisor-zh")
