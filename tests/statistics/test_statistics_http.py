"""The statistics through HTTP: the JSON, CSV and Excel exports, the pages, the period PDF, and who may see what."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
from datetime import UTC, datetime

from openpyxl import load_workbook

from procurement.identity.models import Role
from tests.conftest import bearer
from tests.statistics.stats_testlib import people, seed_2018, trade, write


async def test_the_api_gives_the_seed_year_and_its_lines_to_anyone(platform, client, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, seed_2018(seeded))
    answer = await client.get("/api/statistics", params={"year": "2018", "group_by": "track"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["first"], body["last"], body["mall"]) == ("2018-01-01", "2018-12-31", None)
    assert body["total"]["projects"] == 849 and body["total"]["traded"] == "39502000000.00"
    works = next(row for row in body["rows"] if row["key"] == "works")
    assert works["label"] in ("工程建设", "Construction works")
    assert works["rate_mean"].startswith("0.0262") and works["rate_weighted"].startswith("0.0025")
    assert body["year_lines"]["zh"]["seed"].endswith("工程建设项目561个，交易额355亿元，节约资金0.9亿元，中标下浮率2.62%")
    assert "amount-weighted" in body["year_lines"]["en"]["weighted"]


async def test_csv_and_excel_carry_the_same_table(platform, client, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, seed_2018(seeded))
    params = {"year": "2018", "group_by": "track"}
    answer = await client.get("/api/statistics.csv", params=params, headers={"Accept-Language": "en"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="statistics-2018-01-01-2018-12-31-track.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 4  # headings, two tracks, the total
    assert rows[-1][1] == "849" and rows[-1][4] == "39502000000.00"
    book = await client.get("/api/statistics.xlsx", params=params)
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][1] == "2018-01-01 – 2018-12-31"
    assert values[-1][1] == 849 and float(values[-1][4]) == 39502000000.00


async def test_only_supervisors_get_the_breakdown_by_purchaser(platform, client, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, [trade(1, seeded, track="works", budget_fen=1_000_000_00, award_fen=900_000_00, day=3)])
    params = {"year": "2018", "group_by": "purchaser"}
    assert (await client.get("/api/statistics", params=params)).status_code == 403  # the route is public; the breakdown is not
    for role in (Role.purchaser, Role.operator, Role.supplier, Role.agency):
        headers = await bearer(client, await users.make(role))
        for path in ("/api/statistics", "/api/statistics.csv", "/api/statistics.xlsx"):
            assert (await client.get(path, params=params, headers=headers)).status_code == 403, (role, path)
        assert (await client.get("/api/statistics", params={"year": "2018", "purchaser_id": seeded.purchasers[0]}, headers=headers)).status_code == 403
    supervisor = await bearer(client, await users.make(Role.supervisor))
    answer = await client.get("/api/statistics", params=params, headers=supervisor)
    assert answer.status_code == 200
    assert [row["label"] for row in answer.json()["rows"]] == ["海口市第二采购单位"]
    # The public page never offers the breakdown, even when asked for it.
    page = await client.get("/statistics", params=params)
    assert page.status_code == 200 and "海口市第二采购单位" not in page.text and 'value="purchaser"' not in page.text


async def test_bad_periods_and_filters_are_refused_by_name(client) -> None:
    for params, name in (({"month": "2018-13"}, "query.month"), ({"year": "2018", "month": "2018-01"}, "query.month"),
                         ({"from": "2018-02-01", "to": "2018-01-01"}, "query.to"), ({"group_by": "supplier"}, "group_by")):
        answer = await client.get("/api/statistics", params=params)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert name.split(".")[-1] in answer.text
    page = await client.get("/statistics", params={"month": "2018-13"})
    assert page.status_code == 200 and 'href="#month"' in page.text  # the form again, naming the field


async def test_the_pages_show_figures_charts_lines_and_no_invented_mall_data(platform, client, users) -> None:
    seeded = await people(users)
    await write(platform, seeded, seed_2018(seeded))
    page = await client.get("/statistics", params={"year": "2018"})
    assert page.status_code == 200
    text = page.text
    assert "全年进场交易项目849个，交易额395.02亿元" in text
    assert text.count('role="img"') == 2 and "<desc id=\"chart-amount-desc\">" in text
    assert 'id="no-mall-data"' in text and "/api/statistics.csv?year=2018&amp;group_by=month" in text
    supervisor = await users.make(Role.supervisor)
    headers = await bearer(client, supervisor)
    report = await client.get("/supervision/statistics", params={"year": "2018", "group_by": "purchaser"}, headers=headers)
    assert report.status_code == 200 and "海口市第一采购单位" in report.text and "/supervision/reports/period.pdf?from=2018-01-01" in report.text
    for role in (Role.purchaser, Role.operator):
        assert (await client.get("/supervision/statistics", headers=await bearer(client, await users.make(role)))).status_code == 403


async def test_the_period_pdf_lists_the_figures_and_the_failures(platform, client, users, tmp_path) -> None:
    seeded = await people(users)
    await write(platform, seeded, [
        trade(1, seeded, track="works", budget_fen=1_000_000_00, award_fen=900_000_00, day=3),
        trade(2, seeded, track="government", budget_fen=500_000_00, award_fen=None, day=4, failed_at=datetime(2018, 3, 1, 2, tzinfo=UTC)),
    ])
    headers = await bearer(client, await users.make(Role.supervisor))
    answer = await client.get("/supervision/reports/period.pdf", params={"from": "2018-01-01", "to": "2018-06-30"}, headers=headers)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    (tmp_path / "period.pdf").write_bytes(answer.content)
    converted = await asyncio.to_thread(subprocess.run, ["pdftotext", "-layout", str(tmp_path / "period.pdf"), "-"], capture_output=True, text=True,
                                        check=True)
    text = converted.stdout
    assert "460100-2018-T-00002" in text and "投标人不足三家" in text
    assert "全年进场交易项目2个" in text
    assert (await client.get("/supervision/reports/period.pdf", params={"year": "2018"},
                             headers=await bearer(client, await users.make(Role.operator)))).status_code == 403
