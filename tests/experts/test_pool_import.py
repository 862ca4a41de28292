"""CSV import and export through the API and the CLI: all or nothing, a report per row, audited once."""

from __future__ import annotations

import asyncio
import csv
import io

from click.testing import CliRunner
from sqlalchemy import func, select

from expert_pool.models import Expert, ExpertRelationship, ExpertSpecialty, Specialty
from procurement.audit.models import AuditEntry
from procurement.cli import main
from procurement.identity.models import Role
from procurement.platform import Platform
from tests.conftest import bearer
from tests.experts.pool_testlib import OTHER_ORG, add_specialties, csv_of, person, row


async def _counts(platform) -> tuple[int, int, int, int]:
    async with platform.db.transaction() as session:
        experts = (await session.execute(select(func.count()).select_from(Expert))).scalar_one()
        links = (await session.execute(select(func.count()).select_from(ExpertSpecialty))).scalar_one()
        ties = (await session.execute(select(func.count()).select_from(ExpertRelationship))).scalar_one()
        imports = (await session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "expert.imported"))).scalar_one()
        return experts, links, ties, imports


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def test_import_then_export_round_trips(client, users, platform) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    supervisor = await bearer(client, await users.make(Role.supervisor))
    await add_specialties(client, operator)
    raw = csv_of(
        row(1, specialties="A01.02;B03", unavailable="2026-12-01|2026-12-10|出国"),
        row(2, status="suspended", suspension_reason="无故缺席评标", suspended_until="2027-06-30", relationships=""),
        row(3, status="retired", title="", years="0", relationships=f"shareholding|{OTHER_ORG}||;relative|{OTHER_ORG}|2020-01-01|"),
    )
    response = await client.post("/api/experts/imports", headers=operator, content=raw)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 3 and all(r["ok"] and r["expert_id"] for r in report["rows"])
    assert [r["row"] for r in report["rows"]] == [2, 3, 4]
    assert await _counts(platform) == (3, 4, 3, 1)  # one audit entry for the whole import
    async with platform.db.transaction() as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "expert.imported"))).scalar_one()
        assert '"created":3' in entry.details.replace(" ", "")

    exported = await client.get("/api/experts.csv", headers=supervisor)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    original = _rows(raw.decode())
    back = [{k: v for k, v in r.items() if k != "id"} for r in _rows(exported.text)]
    assert back == original
    # A supervisor's export imports back into an empty pool unchanged; here it is refused as duplicates.
    again = await client.post("/api/experts/imports", headers=operator, content=exported.text.encode())
    assert again.status_code == 422
    assert {e["field"] for e in again.json()["errors"]} == {"row[2].national_id", "row[3].national_id", "row[4].national_id"}


async def test_a_bad_file_changes_nothing_and_says_why(client, users, platform) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    supplier = await users.make(Role.supplier)
    bad_check = person(2)[:17] + ("1" if person(2)[17] == "0" else "0")
    raw = csv_of(
        row(1),  # good, but the file is refused as a whole
        row(2, national_id=bad_check),
        row(3, specialties="Z77"),
        row(4, national_id=person(1)),  # the same person as row 2 of the file
        row(5, username=supplier.username),  # not an expert account
        row(6, region="4601"),
    )
    response = await client.post("/api/experts/imports", headers=operator, content=raw)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert set(fields) == {"row[3].national_id", "row[4].specialties", "row[5].national_id", "row[6].username", "row[7].region"}
    assert "nothing was imported" in response.json()["detail"]
    assert await _counts(platform) == (0, 0, 0, 0)


async def test_operators_only_import(client, users, platform) -> None:
    operator = await bearer(client, await users.make(Role.operator))
    await add_specialties(client, operator)
    for role in (Role.supervisor, Role.expert, Role.supplier, Role.purchaser):
        response = await client.post("/api/experts/imports", headers=await bearer(client, await users.make(role)), content=csv_of(row(1)))
        assert response.status_code == 403, (role, response.text)
    assert await _counts(platform) == (0, 0, 0, 0)


async def _seed_specialties(settings) -> None:
    platform = Platform.build(settings)
    try:
        async with platform.db.transaction() as session:
            session.add(Specialty(code="A01", name="建筑工程", created_at=platform.clock.now()))
            await session.flush()
            session.add(Specialty(code="A01.02", name="房屋建筑工程施工", parent_code="A01", created_at=platform.clock.now()))
    finally:
        await platform.close()


async def _counts_of(settings) -> tuple[int, int, int, int]:
    platform = Platform.build(settings)
    try:
        return await _counts(platform)
    finally:
        await platform.close()


def test_cli_imports_and_refuses_with_the_report(settings, tmp_path) -> None:
    """Synchronous: the command runs its own event loop, as it does from a shell."""
    asyncio.run(_seed_specialties(settings))
    env = {"PROCUREMENT_DATABASE_URL": settings.database_url, "PROCUREMENT_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of(row(1), row(2, specialties="Z77")))
    result = CliRunner().invoke(main, ["experts", "import", str(bad)], env=env)
    assert result.exit_code == 1, result.output
    assert "row 3\tspecialties\tZ77 is not in the specialty code list" in result.output
    assert asyncio.run(_counts_of(settings)) == (0, 0, 0, 0)
    good = tmp_path / "good.csv"
    good.write_bytes(csv_of(row(1), row(2)))
    result = CliRunner().invoke(main, ["experts", "import", str(good)], env=env)
    assert result.exit_code == 0, result.output
    assert asyncio.run(_counts_of(settings)) == (2, 2, 2, 1)
