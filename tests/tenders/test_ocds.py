"""OCDS releases and records: valid against the 1.1 schemas, immutable, complete, exported by date."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from procurement.identity.models import Role
from procurement.tenders import feeds, ocds, rules, service
from procurement.tenders.document_models import TenderDocument, TenderDocumentVersion
from procurement.tenders.models import Notice, Tender
from procurement.tenders.release_models import Release
from tests.conftest import TestUser as Owner
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body

OCDS_DATA = Path(__file__).resolve().parent.parent / "data" / "ocds"
SCHEMAS = ("release-schema.json", "release-package-schema.json", "record-package-schema.json", "versioned-release-validation-schema.json")
# Until the tender service records releases itself, the tests record them after each change.
WIRED = "record_release" in Path(service.__file__).read_text(encoding="utf-8")


# --- Validation against the shipped schemas (nothing fetched from the network) -----------------


@cache
def _schemas() -> tuple[dict[str, dict[str, Any]], Registry]:
    loaded = {name: json.loads((OCDS_DATA / name).read_text(encoding="utf-8")) for name in SCHEMAS}
    registry = Registry().with_resources((schema["id"], DRAFT4.create_resource(schema)) for schema in loaded.values())
    return loaded, registry


def _format_checker() -> FormatChecker:
    checker = FormatChecker()  # date-time is checked by rfc3339-validator

    @checker.checks("uri")
    def _is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme in ("http", "https") and parts.netloc and " " not in value)

    return checker


def schema_errors(document: dict[str, Any], schema_name: str) -> list[str]:
    schemas, registry = _schemas()
    validator = Draft4Validator(schemas[schema_name], registry=registry, format_checker=_format_checker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@cache
def codelist(name: str) -> frozenset[str]:
    with (OCDS_DATA / "codelists" / f"{name}.csv").open(encoding="utf-8") as f:
        return frozenset(row["Code"] for row in csv.DictReader(f))


def assert_valid_release_package(package: dict[str, Any]) -> None:
    assert schema_errors(package, "release-package-schema.json") == []
    for release in package["releases"]:
        assert_codelists(release)


def assert_valid_record_package(package: dict[str, Any]) -> None:
    assert schema_errors(package, "record-package-schema.json") == []
    for record in package["records"]:
        assert_codelists(record["compiledRelease"])


def assert_codelists(release: dict[str, Any]) -> None:
    """The open codelists the schema does not enforce: every code we write must be on them."""
    tender = release["tender"]
    assert {role for party in release["parties"] for role in party["roles"]} <= codelist("partyRole")
    assert {d["documentType"] for d in tender.get("documents", []) if "documentType" in d} <= codelist("documentType")
    assert set(tender.get("submissionMethod", [])) <= codelist("submissionMethod")
    if tender.get("awardCriteria"):
        assert tender["awardCriteria"] in codelist("awardCriteria")
    assert tender["value"]["currency"] in codelist("currency")
    assert set(release["tag"]) <= codelist("releaseTag")
    assert tender["status"] in codelist("tenderStatus")
    assert tender["procurementMethod"] in codelist("method")
    assert tender["mainProcurementCategory"] in codelist("procurementCategory")
    party_ids = {party["id"] for party in release["parties"]}
    assert release["buyer"]["id"] in party_ids and tender["procuringEntity"]["id"] in party_ids


# --- A tender through its public life -------------------------------------------------------------


def _all_checked(method: str) -> dict[str, bool]:
    return {item: True for item in service.CHECKLISTS[method]}


async def published_tender(client, users, clock, platform, *, agency: bool = False, **draft: Any) -> tuple[int, Owner]:
    """A tender created, reviewed and published through the API; its release recorded. Returns (id, owner)."""
    purchaser = await users.make(Role.purchaser)
    owner_user = await users.make(Role.agency) if agency else purchaser
    owner = await bearer(client, owner_user)
    centre = await bearer(client, await users.make(Role.operator))
    body = draft_body(clock.now(), purchaser_organisation_id=purchaser.organisation_id if agency else None, **draft)
    created = await client.post("/api/tenders", headers=owner, json=body)
    assert created.status_code == 201, created.text
    tender_id = created.json()["id"]
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    reviewed = await client.post(
        f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked(body["method"])}
    )
    assert reviewed.status_code == 200, reviewed.text
    published = await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    assert published.status_code == 200, published.text
    await released(platform, tender_id, ["tender"], before=0)
    return tender_id, owner_user


async def released(platform, tender_id: int, tags: list[str], *, before: int) -> None:
    """The change just made has its release: recorded by the service once wired, else here."""
    async with platform.db.transaction() as session:
        count = await ocds.count_releases(session, tender_id)
        if WIRED:
            assert count == before + 1, "the tender service records one release per public change"
            last = (await session.execute(select(Release).where(Release.tender_id == tender_id).order_by(Release.id.desc()).limit(1))).scalar_one()
            assert json.loads(last.tags) == tags
            return
        assert count == before
        tender = await session.get(Tender, tender_id, with_for_update=True)
        await ocds.record_release(session, platform, tender, tags)  # type: ignore[arg-type]


async def close_bidding(platform, clock, tender_id: int, *, before: int) -> None:
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id)
        clock.set(tender.bid_deadline + timedelta(minutes=1))  # type: ignore[union-attr]
    async with platform.db.transaction() as session:
        assert await service.recheck(session, platform, tender_id)
    await released(platform, tender_id, ["tenderUpdate"], before=before)


async def _stored(platform, tender_id: int) -> list[Release]:
    async with platform.db.transaction(write=False) as session:
        return list((await session.execute(select(Release).where(Release.tender_id == tender_id).order_by(Release.id))).scalars())


async def test_every_release_and_record_of_a_lifecycle_is_valid_and_no_release_ever_changes(client, users, clock, platform) -> None:
    tender_id, owner = await published_tender(client, users, clock, platform)

    package = (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()
    assert_valid_release_package(package)
    [first] = package["releases"]
    code = first["tender"]["id"]
    assert first["ocid"] == f"{platform.settings.ocds_prefix}-{code}" == f"ocds-hkggzy-{code}"
    assert first["id"] == f"{first['ocid']}-1"
    assert first["tag"] == ["tender"] and first["initiationType"] == "tender"
    assert first["date"] == clock.now().isoformat()
    tender = first["tender"]
    assert tender["status"] == "active"
    assert tender["value"] == {"amount": 1250000, "currency": "CNY"}
    assert tender["procurementMethod"] == "open" and tender["procurementMethodDetails"] == "公开招标"
    assert tender["mainProcurementCategory"] == "works"
    assert [(i["id"], i["description"], i["unit"]["value"]["amount"]) for i in tender["items"]] == [
        ("1", "第一标段：土建", 800000), ("2", "第二标段：安装", 450000),
    ]
    # The lots are evaluated differently: no single code, each lot's method in the details.
    assert "awardCriteria" not in tender and tender["awardCriteriaDetails"] == "第1标段：综合评分法；第2标段：最低评标价法"
    body = draft_body(clock.now())
    assert tender["tenderPeriod"]["endDate"].startswith(body["timeline"]["bid_deadline"][:16])
    [buyer] = first["parties"]
    assert buyer["roles"] == ["buyer", "procuringEntity"] and buyer["contactPoint"] == {"name": "王工", "telephone": "0898-12345678"}
    assert buyer["identifier"]["scheme"] == ocds.ORG_ID_SCHEME and len(buyer["identifier"]["id"]) == 18
    stored_first = (await _stored(platform, tender_id))[0].data

    # An amendment late enough to move the deadline: a second release, the first untouched.
    clock.advance(timedelta(days=12))
    amended = await client.post(f"/api/tenders/{tender_id}/amendments", headers=await bearer(client, owner), json={"summary": "第一标段工程量清单第 3 项更正"})
    assert amended.status_code == 201, amended.text
    assert amended.json()["deadline_moved"]
    await released(platform, tender_id, ["tenderAmendment"], before=1)
    package = (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()
    assert_valid_release_package(package)
    old, new = package["releases"]
    assert old == first, "an earlier release never changes"
    assert (await _stored(platform, tender_id))[0].data == stored_first
    assert new["id"] == f"{first['ocid']}-2" and new["tag"] == ["tenderAmendment"]
    [amendment] = new["tender"]["amendments"]
    assert amendment["rationale"] == "第一标段工程量清单第 3 项更正"
    assert amendment["releaseID"] == new["id"] and amendment["amendsReleaseID"] == old["id"]
    assert "延至" in amendment["description"]
    assert new["tender"]["tenderPeriod"]["endDate"] > old["tender"]["tenderPeriod"]["endDate"]
    assert package["publishedDate"] == new["date"]

    record = (await client.get(f"/api/ocds/tenders/{tender_id}/record")).json()
    assert_valid_record_package(record)
    [entry] = record["records"]
    assert [r["url"] for r in entry["releases"]] == [f"{package['uri']}#{old['id']}", f"{package['uri']}#{new['id']}"]
    compiled = entry["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["date"] == new["date"]
    assert compiled["tender"] == new["tender"], "a snapshot release compiles to itself"

    # The deadline passes: bidding closed is a third release; the tender is still active in OCDS terms.
    await close_bidding(platform, clock, tender_id, before=2)
    package = (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()
    assert_valid_release_package(package)
    assert [r["tag"] for r in package["releases"]] == [["tender"], ["tenderAmendment"], ["tenderUpdate"]]
    assert package["releases"][:2] == [old, new]
    assert_valid_record_package((await client.get(f"/api/ocds/tenders/{tender_id}/record")).json())

    # The database itself holds one row per release, never rewritten.
    rows = await _stored(platform, tender_id)
    assert [r.release_id for r in rows] == [f"{first['ocid']}-{n}" for n in (1, 2, 3)]
    assert rows[0].data == stored_first


async def test_terminating_a_published_tender_is_a_cancellation_release(client, users, clock, platform) -> None:
    tender_id, owner = await published_tender(client, users, clock, platform)
    other = await bearer(client, await users.make(Role.purchaser))
    refused = await client.post(f"/api/tenders/{tender_id}/terminate", headers=other, json={"reason": "越权终止"})
    owner = await bearer(client, owner)
    assert refused.status_code in (403, 404)
    assert (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()["releases"][-1]["tag"] == ["tender"]
    ended = await client.post(f"/api/tenders/{tender_id}/terminate", headers=owner, json={"reason": "采购需求发生重大变化"})
    assert ended.status_code == 200, ended.text
    await released(platform, tender_id, ["tenderCancellation"], before=1)
    package = (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()
    assert_valid_release_package(package)
    assert package["releases"][-1]["tender"]["status"] == "cancelled"
    assert_valid_record_package((await client.get(f"/api/ocds/tenders/{tender_id}/record")).json())


async def test_an_agency_tender_names_both_parties_and_maps_its_method(client, users, clock, platform) -> None:
    tender_id, _ = await published_tender(client, users, clock, platform, agency=True, track="government", method="invited")
    package = (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()
    assert_valid_release_package(package)
    [release] = package["releases"]
    buyer, agency = release["parties"]
    assert buyer["roles"] == ["buyer"] and agency["roles"] == ["procuringEntity"]
    assert release["buyer"]["id"] == buyer["id"] and release["tender"]["procuringEntity"]["id"] == agency["id"]
    assert "contactPoint" in agency and "contactPoint" not in buyer
    assert release["tender"]["procurementMethod"] == "selective" and release["tender"]["procurementMethodDetails"] == "邀请招标"
    assert release["tender"]["mainProcurementCategory"] == "goods"


async def test_documents_and_notices_are_listed_with_their_digests(client, users, clock, platform) -> None:
    tender_id, owner = await published_tender(client, users, clock, platform)
    me = {"id": owner.user_id}
    async with platform.db.transaction() as session:
        document = TenderDocument(tender_id=tender_id, name="招标文件.pdf", kind="tender_documents", created_at=clock.now())
        session.add(document)
        await session.flush()
        for version in (1, 2):
            session.add(TenderDocumentVersion(
                document_id=document.id, tender_id=tender_id, version=version, object_key=f"test/ocds/{document.id}/{version}",  # type: ignore[arg-type]
                sha256=f"{version:064x}", size=1000 + version, content_type="application/pdf", uploaded_at=clock.now(), uploaded_by=me["id"],
            ))
        tender = await session.get(Tender, tender_id)
        await ocds.record_release(session, platform, tender, ["tenderUpdate"])  # type: ignore[arg-type]
    package = (await client.get(f"/api/ocds/tenders/{tender_id}/releases")).json()
    assert_valid_release_package(package)
    documents = {d["id"]: d for d in package["releases"][-1]["tender"]["documents"]}
    bidding = documents[f"document-{document.id}"]
    assert bidding["documentType"] == "biddingDocuments" and bidding["format"] == "application/pdf"
    assert f"SHA-256 {2:064x}" in bidding["description"] and bidding["url"].endswith(f"/documents/{document.id}/versions/2")
    async with platform.db.transaction(write=False) as session:
        stored = list((await session.execute(select(Notice).where(Notice.tender_id == tender_id).order_by(Notice.number))).scalars())
    assert stored, "publication publishes the tender notice"
    listed = [d for d in documents.values() if d["id"].startswith("notice-")]
    assert [d["id"] for d in listed] == [f"notice-{n.id}" for n in stored]  # the tender notice, published with the tender
    for notice, document in zip(stored, listed, strict=True):
        assert document["url"] == f"{platform.settings.base_url}/notices/{notice.id}/pdf"
        assert document["title"] == notice.title and document["documentType"] == ocds.NOTICE_DOCUMENT_TYPES[notice.kind]


async def test_only_public_tenders_have_releases(client, users, clock, platform) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    created = await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))
    tender_id = created.json()["id"]
    async with platform.db.transaction() as session:
        draft = await session.get(Tender, tender_id)
        with pytest.raises(ValueError, match="only public tenders"):
            await ocds.record_release(session, platform, draft, ["tender"])  # type: ignore[arg-type]
    for path in (f"/api/ocds/tenders/{tender_id}/releases", f"/api/ocds/tenders/{tender_id}/record", "/api/ocds/tenders/999999/record"):
        assert (await client.get(path, headers=owner)).status_code == 404, path
    async with platform.db.transaction(write=False) as session:
        assert await ocds.count_releases(session, tender_id) == 0


async def test_release_tags_come_from_the_closed_codelist(client, users, clock, platform) -> None:
    tender_id, _ = await published_tender(client, users, clock, platform)
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id)
        for tags in ([], ["compiled"], ["published"]):
            with pytest.raises(ValueError, match="releaseTag"):
                await ocds.record_release(session, platform, tender, tags)  # type: ignore[arg-type]


def test_every_public_state_and_method_has_an_ocds_code() -> None:
    assert set(ocds.TENDER_STATUS) == set(service.PUBLIC_STATES)
    assert set(ocds.TENDER_STATUS.values()) <= codelist("tenderStatus")
    assert set(ocds.METHODS) == set(rules.Method)
    assert {code for code, _ in ocds.METHODS.values()} <= codelist("method")
    assert {code for code, _ in ocds.AWARD_CRITERIA.values()} <= codelist("awardCriteria")
    assert set(ocds.DOCUMENT_TYPES.values()) | set(ocds.NOTICE_DOCUMENT_TYPES.values()) <= codelist("documentType")
    assert ocds.RELEASE_TAGS == codelist("releaseTag") - {"compiled"}


def test_money_is_written_exactly_in_yuan() -> None:
    assert ocds._amount(125_000_000) == 1250000 and isinstance(ocds._amount(125_000_000), int)
    assert json.dumps(ocds._amount(1)) == "0.01"
    assert json.dumps(ocds._amount(99_999_999_999_99)) == "99999999999.99"
    assert json.dumps(ocds._amount(12_345_678_901_234)) == "123456789012.34"


def test_the_compiled_release_follows_the_merge_rules() -> None:
    base = {"ocid": "ocds-x-1", "initiationType": "tender"}
    first = {**base, "id": "r1", "date": "2026-01-01T00:00:00+00:00", "tag": ["tender"],
             "tender": {"id": "T", "title": "旧", "enquiryPeriod": {"endDate": "2026-01-02T00:00:00+00:00"},
                        "items": [{"id": "1", "description": "a"}, {"id": "2", "description": "b"}], "submissionMethod": ["written"]}}
    second = {**base, "id": "r2", "date": "2026-01-03T00:00:00+00:00", "tag": ["tenderAmendment"],
              "tender": {"id": "T", "title": "新", "enquiryPeriod": None,
                         "items": [{"id": "2", "description": "b2"}, {"id": "3"}], "submissionMethod": ["electronicSubmission"]}}
    compiled = ocds.compile_releases([first, second])
    assert compiled["tag"] == ["compiled"] and compiled["date"] == second["date"] and compiled["id"] == "ocds-x-1-compiled-2"
    assert compiled["tender"]["title"] == "新"  # later values replace earlier ones
    assert "enquiryPeriod" not in compiled["tender"]  # null removes
    assert compiled["tender"]["items"] == [{"id": "1", "description": "a"}, {"id": "2", "description": "b2"}, {"id": "3"}]  # merged by id
    assert compiled["tender"]["submissionMethod"] == ["electronicSubmission"]  # other arrays replace
    assert schema_errors(compiled, "release-schema.json") == []
    with pytest.raises(ValueError):
        ocds.compile_releases([])


def test_the_validator_catches_what_the_schema_forbids() -> None:
    """The checks above would pass nothing wrong: a broken release is reported."""
    broken = {"ocid": "x", "id": "x-1", "date": "yesterday", "tag": ["published"], "initiationType": "tender",
              "tender": {"id": "T", "status": "open", "value": {"amount": "12", "currency": "RMB"}}}
    errors = "\n".join(schema_errors(broken, "release-schema.json"))
    for path in ("date", "tag/0", "tender/status", "tender/value/amount", "tender/value/currency"):
        assert f"{path}:" in errors, (path, errors)
    package = {"uri": "not a uri", "publisher": {"name": "x"}, "publishedDate": "2026-01-01T00:00:00Z", "version": "1.1", "releases": []}
    errors = "\n".join(schema_errors(package, "release-package-schema.json"))
    assert "uri:" in errors and "releases:" in errors


# --- The release package of a date range ---------------------------------------------------------------


async def test_the_release_export_covers_a_date_range_and_refuses_bad_ones(client, users, clock, platform) -> None:
    start = clock.now()
    early, _ = await published_tender(client, users, clock, platform)
    clock.advance(timedelta(days=2))
    late, _ = await published_tender(client, users, clock, platform)
    clock.advance(timedelta(minutes=1))

    def export(**params: str):
        return client.get("/api/ocds/releases", params=params)

    everything = await export(**{"from": start.isoformat()})
    assert everything.status_code == 200, everything.text
    assert everything.headers["content-type"].startswith("application/json")
    package = everything.json()
    assert_valid_release_package(package)
    assert [r["tender"]["id"] for r in package["releases"]] == [
        r["tender"]["id"] for r in [*(await client.get(f"/api/ocds/tenders/{early}/releases")).json()["releases"],
                                    *(await client.get(f"/api/ocds/tenders/{late}/releases")).json()["releases"]]
    ]
    assert package["publishedDate"] == package["releases"][-1]["date"]

    first_day = (await export(**{"from": start.isoformat(), "until": (start + timedelta(days=1)).isoformat()})).json()
    assert_valid_release_package(first_day)
    assert {r["ocid"] for r in first_day["releases"]} == {package["releases"][0]["ocid"]}
    # The same moment in Beijing time means the same range.
    beijing = (await export(**{"from": (start + timedelta(hours=8)).isoformat().replace("+00:00", "+08:00")})).json()
    assert beijing["releases"] == package["releases"]

    # A release younger than the watermark waits: the range is held to now minus the watermark.
    fresh, _ = await published_tender(client, users, clock, platform)
    assert len((await export(**{"from": start.isoformat()})).json()["releases"]) == len(package["releases"])
    clock.advance(timedelta(seconds=platform.settings.feed_watermark_seconds + 1))
    assert len((await export(**{"from": start.isoformat()})).json()["releases"]) == len(package["releases"]) + 1

    for params, field in (
        ({}, "query.from"),
        ({"from": "yesterday"}, "query.from"),
        ({"from": "2026-01-01T00:00:00"}, "query.from"),  # no offset
        ({"from": start.isoformat(), "until": start.isoformat()}, "query.until"),
        ({"from": start.isoformat(), "until": (start - timedelta(days=1)).isoformat()}, "query.until"),
        ({"from": (clock.now() + timedelta(days=1)).isoformat()}, "query.from"),
        ({"from": (start - timedelta(days=40)).isoformat(), "until": start.isoformat()}, "query.until"),
    ):
        refused = await export(**params)
        assert refused.status_code in (400, 422), (params, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        named = {e["field"] for e in problem.get("errors", [])} or {f"query.{word.strip(chr(39))}" for word in problem["detail"].split()}
        assert field in named, (params, problem)
    empty = await export(**{"from": (start - timedelta(days=20)).isoformat(), "until": (start - timedelta(days=10)).isoformat()})
    assert empty.status_code == 404 and "no release" in empty.json()["detail"]
    del fresh


async def test_the_export_streams_many_releases_in_batches(client, users, clock, platform, monkeypatch) -> None:
    monkeypatch.setattr(feeds, "EXPORT_BATCH", 2)  # the batch seams are where a keyset page could lose or repeat a row
    start = clock.now()
    tender_id, _ = await published_tender(client, users, clock, platform)
    async with platform.db.transaction() as session:
        tender = await session.get(Tender, tender_id)
        for _ in range(4):  # several releases with the same date: the id breaks the tie
            await ocds.record_release(session, platform, tender, ["tenderUpdate"])  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=1))
    package = (await client.get("/api/ocds/releases", params={"from": start.isoformat()})).json()
    assert_valid_release_package(package)
    assert [r["id"] for r in package["releases"]] == [f"{package['releases'][0]['ocid']}-{n}" for n in range(1, 6)]
