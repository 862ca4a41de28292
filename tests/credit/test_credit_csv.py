"""CSV: export of the published fields, import of proposals (all rows or none, reported row by row)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from procurement.audit.models import AuditEntry
from procurement.credit.models import BlacklistEntry
from procurement.identity.uscc import make_uscc
from tests.credit.credit_testlib import in_force, staff

HEADER = "uscc,organisation_name,address,conduct,penalty,legal_basis,authority,starts_on,ends_on\r\n"


async def _counts(platform) -> tuple[int, int]:
    async with platform.db.transaction(write=False) as session:
        entries = (await session.execute(select(func.count()).select_from(BlacklistEntry))).scalar_one()
        audited = (await session.execute(select(func.count()).select_from(AuditEntry))).scalar_one()
    return entries, audited


async def test_export_then_import_round_trip_makes_proposals(client, users, platform) -> None:
    operator, supervisor = await staff(client, users)
    for n in (1, 2):
        await in_force(client, operator, supervisor, make_uscc(f"91460100MA5CXW00{n}"), organisation_name=f"导出测试{n}有限公司",
                       conduct="串通投标，涉及逗号, 和\"引号\"")
    exported = await client.get("/api/credit/entries.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {r["organisation_name"] for r in rows} == {"导出测试1有限公司", "导出测试2有限公司"}
    assert rows[0]["conduct"] == "串通投标，涉及逗号, 和\"引号\"" and "proposed_by" not in rows[0]
    imported = await client.post("/api/credit/imports", headers={**operator, "Content-Type": "text/csv"}, content=exported.content)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert report["created"] == 2 and all(r["ok"] and r["entry_id"] for r in report["rows"])
    # Proposals only: nothing new is public, a supervisor must approve each.
    assert len((await client.get("/api/credit/entries")).json()["items"]) == 2
    assert len((await client.get("/api/credit/proposals", headers=supervisor)).json()) == 2


async def test_a_bad_file_changes_nothing_and_names_each_bad_row(client, users, platform) -> None:
    operator, _ = await staff(client, users)
    good = f"{make_uscc('91460100MA5CXW003')},好行有限公司,,串通投标,禁止一年,招标投标法 第五十三条,海口市住建局,2026-01-01,2026-12-31\r\n"
    bad_code = "914601000000000000,坏代码有限公司,,串通投标,禁止一年,招标投标法 第五十三条,海口市住建局,2026-01-01,2026-12-31\r\n"
    bad_dates = f"{make_uscc('91460100MA5CXW004')},坏日期有限公司,,串通投标,禁止一年,招标投标法 第五十三条,海口市住建局,2026-05-01,2026-01-01\r\n"
    before = await _counts(platform)
    refused = await client.post("/api/credit/imports", headers={**operator, "Content-Type": "text/csv"},
                                content=(HEADER + good + bad_code + bad_dates).encode())
    assert refused.status_code == 422, refused.text
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["row[3].uscc", "row[4].ends_on"]
    assert await _counts(platform) == before
    wrong_header = await client.post("/api/credit/imports", headers={**operator, "Content-Type": "text/csv"}, content=b"name,code\r\nx,y\r\n")
    assert wrong_header.status_code == 422 and wrong_header.json()["errors"][0]["field"] == "body.header"
    assert (await client.post("/api/credit/imports", headers={**operator, "Content-Type": "text/csv"}, content=b"\xff\xfe")).status_code == 422
    assert await _counts(platform) == before


async def test_the_import_page_shows_the_row_report(client, users, platform) -> None:
    from tests.conftest import TEST_PASSWORD  # noqa: F401 - the page is driven with a cookie session below

    operator, _ = await staff(client, users)
    bad = HEADER + "914601000000000000,坏代码有限公司,,串通投标,禁止一年,招标投标法 第五十三条,海口市住建局,2026-01-01,2026-12-31\r\n"
    response = await client.post("/credit/imports", headers=operator, files={"file": ("list.csv", bad.encode(), "text/csv")})
    assert response.status_code == 400
    assert "<td>2</td>" in response.text
