"""Tender documents: versioned uploads in the object store, obtaining (获取招标文件), streamed downloads."""

from __future__ import annotations

import hashlib
import json
import random
import tracemalloc
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import anyio
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from procurement.app import create_app
from procurement.audit.models import AuditEntry
from procurement.i18n import language_var
from procurement.identity.models import Role
from procurement.jobs import build_registry
from procurement.scheduler.framework import sweep
from procurement.tenders.document_models import (
    DocumentDownload,
    DocumentObtained,
    TenderDocument,
    TenderDocumentVersion,
)
from procurement.tenders.documents import public_documents
from procurement.web.templating import make_environment
from tests.conftest import bearer
from tests.tenders.tender_testlib import draft_body
from tests.tenders.test_tender_lifecycle import _accepted, _all_checked

PDF = "application/pdf"
MIB = 1 << 20


# --- helpers ----------------------------------------------------------------------------------------


async def _published(client, platform, users, clock) -> tuple[int, dict[str, str], Any]:
    """A published tender whose documents go on offer tomorrow; (id, owner's headers, purchaser user)."""
    tender_id, owner, _centre, purchaser = await _accepted(client, platform, users, clock)
    published = await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})
    assert published.status_code == 200, published.text
    return tender_id, owner, purchaser


async def _upload(client, tender_id: int, headers: dict[str, str], content: bytes, *, name: str = "招标文件.pdf",
                  kind: str = "tender_documents", content_type: str = PDF, **params: Any):
    return await client.post(
        f"/api/tenders/{tender_id}/documents", params={"name": name, "kind": kind, **params}, content=content,
        headers={**headers, "Content-Type": content_type},
    )


async def _new_version(client, tender_id: int, document_id: int, headers: dict[str, str], content: bytes, **params: Any):
    return await client.post(
        f"/api/tenders/{tender_id}/documents/{document_id}/versions", params=params, content=content,
        headers={**headers, "Content-Type": PDF},
    )


async def _count(platform, model, **where) -> int:
    async with platform.db.transaction(write=False) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return (await session.execute(query)).scalar_one()


async def _audit(platform, action: str, tender_id: int | None = None) -> list[dict[str, Any]]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    if tender_id is not None:
        query = query.where(AuditEntry.subject_type == "tender", AuditEntry.subject_id == str(tender_id))
    async with platform.db.transaction(write=False) as session:
        rows = (await session.execute(query)).scalars()
        return [json.loads(entry.details) for entry in rows]


async def _objects(platform, tender_id: int) -> list[str]:
    return [info.key async for info in platform.store.list(f"tenders/{tender_id}/documents/")]


async def _nothing_changed(platform, tender_id: int, versions: int) -> None:
    assert await _count(platform, TenderDocumentVersion, tender_id=tender_id) == versions
    assert len(await _objects(platform, tender_id)) == versions, "an object without its row (or a row without its object)"
    assert len(await _audit(platform, "tender.document_uploaded", tender_id)) == versions


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


Answer = tuple[int, dict[str, str], list[dict[str, Any]]]


async def asgi(client: AsyncTestClient, method: str, path: str, headers: dict[str, str], body: AsyncIterator[bytes] | None = None,
               query: dict[str, Any] | None = None) -> Answer:
    """Call the app as an ASGI server would: the request body in chunks, every response message kept.

    The test client buffers both bodies whole; this shows what actually streams. It runs on the
    client's event loop, where the app's database connections live.
    """
    def call() -> Answer:
        return client.blocking_portal.call(lambda: asgi_here(client.app, method, path, headers, body, query))

    return await anyio.to_thread.run_sync(call)


async def asgi_here(app, method: str, path: str, headers: dict[str, str], body: AsyncIterator[bytes] | None = None,
                    query: dict[str, Any] | None = None) -> Answer:
    sent: list[dict[str, Any]] = []
    finished = anyio.Event()
    chunks = body.__aiter__() if body is not None else None

    async def receive() -> dict[str, Any]:
        nonlocal chunks
        if chunks is not None:
            try:
                return {"type": "http.request", "body": await chunks.__anext__(), "more_body": True}
            except StopAsyncIteration:
                chunks = None
                return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # a streaming response listens for the client going away
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": urlencode(query or {}).encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {},
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, [m for m in sent if m["type"] == "http.response.body"]


async def _random_chunks(total: int, size: int, hasher: Any) -> AsyncIterator[bytes]:
    rng = random.Random(20260105)
    left = total
    while left:
        chunk = rng.randbytes(min(size, left))
        hasher.update(chunk)
        left -= len(chunk)
        yield chunk


# --- uploads and versions --------------------------------------------------------------------------


async def test_a_draft_takes_documents_and_versions_with_their_sha256_and_size(client, users, platform, clock) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    first, second = "第一版招标文件".encode() * 1000, "第二版招标文件（修改）".encode() * 1200

    created = await _upload(client, tender_id, owner, first)
    assert created.status_code == 201, created.text
    document = created.json()
    assert document["name"] == "招标文件.pdf" and document["kind"] == "tender_documents"
    [v1] = document["versions"]
    assert (v1["version"], v1["sha256"], v1["size"], v1["content_type"], v1["amendment_number"]) == (1, _sha(first), len(first), PDF, None)

    again = await _new_version(client, tender_id, document["id"], owner, second)
    assert again.status_code == 201, again.text
    assert [(v["version"], v["sha256"], v["size"]) for v in again.json()["versions"]] == [
        (1, _sha(first), len(first)), (2, _sha(second), len(second)),
    ]
    attachment = await _upload(client, tender_id, owner, b"PK\x03\x04 drawings", name="图纸 A-01.zip", kind="attachment",
                                content_type="application/zip")
    assert attachment.status_code == 201, attachment.text

    # Each version reads back exactly, named in UTF-8 and carrying its digest.
    for version, content in ((1, first), (2, second)):
        got = await client.get(f"/api/tenders/{tender_id}/documents/{document['id']}/versions/{version}", headers=owner)
        assert got.status_code == 200, got.text
        assert got.content == content
        assert got.headers["content-length"] == str(len(content))
        assert got.headers["content-type"].startswith(PDF)
        assert got.headers["etag"] == f'"{_sha(content)}"'
        assert got.headers["repr-digest"].startswith("sha-256=:")
        assert got.headers["content-disposition"] == (
            "attachment; filename=\"____.pdf\"; filename*=UTF-8''%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6.pdf"
        )
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "content-encoding" not in got.headers, "documents are sent as stored, with their length"

    # A draft's documents are the owner's: the public and other organisations see nothing.
    assert (await client.get(f"/api/tenders/{tender_id}/documents")).status_code == 404
    listed = await client.get(f"/api/tenders/{tender_id}/documents", headers=owner)
    assert [(d["name"], len(d["versions"])) for d in listed.json()] == [("招标文件.pdf", 2), ("图纸 A-01.zip", 1)]

    uploads = await _audit(platform, "tender.document_uploaded")
    assert [(u["name"], u["version"], u["sha256"], u["size"]) for u in uploads] == [
        ("招标文件.pdf", 1, _sha(first), len(first)), ("招标文件.pdf", 2, _sha(second), len(second)),
        ("图纸 A-01.zip", 1, _sha(b"PK\x03\x04 drawings"), len(b"PK\x03\x04 drawings")),
    ]
    keys = await _objects(platform, tender_id)
    assert len(keys) == 3 and all(k.startswith(f"tenders/{tender_id}/documents/") for k in keys)
    async with platform.db.transaction(write=False) as session:
        stored = (await session.execute(select(TenderDocumentVersion.object_key))).scalars().all()
    assert sorted(stored) == keys, "one immutable object per version"


async def test_bad_uploads_are_refused_with_the_rule_and_change_nothing(client, users, platform, clock, settings) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    assert (await _upload(client, tender_id, owner, b"%PDF-1.7 one")).status_code == 201

    for name, rule in (
        ("../招标文件.pdf", "must not contain"), ("a\\b.pdf", "must not contain"), ("tab\there.pdf", "must not contain"),
        ("   ", "must not be empty"), ("..", "must not be . or .."), ("长" * 201, "at most 200"),
    ):
        refused = await _upload(client, tender_id, owner, b"%PDF", name=name)
        assert refused.status_code == 422, (name, refused.text)
        [error] = refused.json()["errors"]
        assert error["field"] == "query.name" and rule in error["message"], (name, error)
    wrong_kind = await _upload(client, tender_id, owner, b"%PDF", kind="contract")
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["field"] == "query.kind"
    odd_type = await _upload(client, tender_id, owner, b"%PDF", content_type="not a type")
    assert odd_type.status_code == 422 and odd_type.json()["errors"][0]["field"] == "header.content-type"
    empty = await _upload(client, tender_id, owner, b"", name="空.pdf")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
    twice = await _upload(client, tender_id, owner, b"%PDF-1.7 two")
    assert twice.status_code == 409 and "upload a new version" in twice.json()["detail"]
    liar = await client.post(
        f"/api/tenders/{tender_id}/documents", params={"name": "核对.pdf", "kind": "attachment"}, content=b"%PDF-1.7 real",
        headers={**owner, "Content-Type": PDF, "X-Content-SHA256": _sha(b"%PDF-1.7 announced")},
    )
    assert liar.status_code == 422 and liar.json()["errors"][0]["field"] == "header.x-content-sha256"
    assert (await client.post(f"/api/tenders/{tender_id}/documents/999999/versions", content=b"x", headers=owner)).status_code == 404

    # Only the organisation running the tender: others do not even see a draft; suppliers lack the role.
    other = await bearer(client, await users.make(Role.purchaser))
    assert (await _upload(client, tender_id, other, b"%PDF", name="外单位.pdf")).status_code == 404
    supplier = await bearer(client, await users.make(Role.supplier))
    assert (await _upload(client, tender_id, supplier, b"%PDF", name="供应商.pdf")).status_code == 403
    assert (await _upload(client, tender_id, {}, b"%PDF", name="匿名.pdf")).status_code == 401
    await _nothing_changed(platform, tender_id, versions=1)

    # Too large: refused from Content-Length before reading, or while streaming when none is announced.
    small = create_app(settings.with_overrides(max_document_bytes=4096), clock=clock, run_scheduler=False)
    async with AsyncTestClient(app=small, base_url="http://127.0.0.1") as limited:
        headers = await bearer(limited, await users.make(Role.purchaser))
        own = (await limited.post("/api/tenders", headers=headers, json=draft_body(clock.now()))).json()["id"]
        announced = await _upload(limited, own, headers, b"x" * 4097, name="大.pdf")
        assert announced.status_code == 413, announced.text
        assert "at most 4096 bytes" in announced.json()["detail"]
        assert (await _upload(limited, own, headers, b"x" * 4096, name="刚好.pdf")).status_code == 201

        async def unannounced() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"y" * 1000

        status, _headers, body = await asgi(
            limited, "POST", f"/api/tenders/{own}/documents", {**headers, "content-type": PDF}, unannounced(),
            query={"name": "流.pdf", "kind": "attachment"},
        )
        assert status == 413, b"".join(m["body"] for m in body)
        await _nothing_changed(platform, own, versions=1)
        assert [p.name for p in (settings.data_dir / "objects" / ".tmp").iterdir()] == [], "no half-written upload left"


async def test_a_published_tender_changes_documents_only_through_an_amendment(client, users, platform, clock) -> None:
    purchaser = await users.make(Role.purchaser)
    owner = await bearer(client, purchaser)
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    original = "原招标文件".encode() * 500
    document_id = (await _upload(client, tender_id, owner, original)).json()["id"]
    centre = await bearer(client, await users.make(Role.operator))
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    # Under entry review and once accepted, the documents are what was reviewed: no changes.
    for state in ("submitted", "accepted"):
        if state == "accepted":
            accepted = await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json={"decision": "accepted", "checklist": _all_checked()})
            assert accepted.status_code == 200
        refused = await _new_version(client, tender_id, document_id, owner, b"%PDF changed")
        assert refused.status_code == 409 and f"this tender is {state}" in refused.json()["detail"], refused.text
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=owner, json={})).status_code == 200

    bare = await _new_version(client, tender_id, document_id, owner, b"%PDF changed")
    assert bare.status_code == 422
    [error] = bare.json()["errors"]
    assert error["field"] == "query.amendment" and "第二十三条" in error["message"]
    unknown = await _new_version(client, tender_id, document_id, owner, b"%PDF changed", amendment=1)
    assert unknown.status_code == 422 and "no amendment 1" in unknown.json()["errors"][0]["message"]
    other = await bearer(client, await users.make(Role.purchaser))
    assert (await _new_version(client, tender_id, document_id, other, b"%PDF mine", amendment=1)).status_code == 403
    await _nothing_changed(platform, tender_id, versions=1)

    amended = await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "修改第三章技术要求"})
    assert amended.status_code == 201, amended.text
    changed = "修改后的招标文件".encode() * 600
    second = await _new_version(client, tender_id, document_id, owner, changed, amendment=1)
    assert second.status_code == 201, second.text
    assert [(v["version"], v["amendment_number"]) for v in second.json()["versions"]] == [(1, None), (2, 1)]
    clarification = await _upload(client, tender_id, owner, b"%PDF clarification", name="澄清文件.pdf", kind="attachment", amendment=1)
    assert clarification.status_code == 201 and clarification.json()["versions"][0]["amendment_number"] == 1

    # Everyone sees every version and its digest; the first one still reads back unchanged.
    public = (await client.get(f"/api/tenders/{tender_id}/documents")).json()
    assert [[(v["version"], v["sha256"]) for v in d["versions"]] for d in public] == [
        [(1, _sha(original)), (2, _sha(changed))], [(1, _sha(b"%PDF clarification"))],
    ]
    v1 = await client.get(public[0]["versions"][0]["download_url"], headers=owner)
    assert v1.status_code == 200 and v1.content == original

    # The public page's fragment shows the same: every version, its amendment and its digest.
    async with platform.db.transaction(write=False) as session:
        listed = await public_documents(session, tender_id)
    token = language_var.set("en")
    try:
        html = make_environment().get_template("tenders/_documents.html").render(documents=listed)
    finally:
        language_var.reset(token)
    assert html.count("招标文件.pdf") == 1 and "澄清文件.pdf" in html
    assert "Amendment 1" in html and "Original documents" in html
    for digest in (_sha(original), _sha(changed)):
        assert "<wbr>".join(digest[i:i + 16] for i in range(0, 64, 16)) in html
    assert public[0]["versions"][0]["download_url"] in html
    assert f"{len(changed) / 1024:.1f} KiB" in html

    # Bidding closed: documents are final.
    clock.advance(timedelta(days=40))
    assert (await sweep(platform, build_registry())).ran >= 1
    owner = await bearer(client, purchaser)
    closed = await _new_version(client, tender_id, document_id, owner, b"%PDF late", amendment=1)
    assert closed.status_code == 409 and "bidding_closed" in closed.json()["detail"]
    await _nothing_changed(platform, tender_id, versions=3)


async def test_an_upload_that_loses_its_state_midway_leaves_no_object(app, client, users, platform, clock) -> None:
    """The object is written first; if the row then cannot be (the tender was submitted meanwhile), it is deleted."""
    owner = await bearer(client, await users.make(Role.purchaser))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]

    async def body_during_which_the_tender_is_submitted() -> AsyncIterator[bytes]:
        yield b"%PDF-1.7 first half "
        submitted, _headers, _body = await asgi_here(app, "POST", f"/api/tenders/{tender_id}/submit", owner)
        assert submitted == 200
        yield b"second half"

    status, _headers, body = await asgi(
        client, "POST", f"/api/tenders/{tender_id}/documents", {**owner, "content-type": PDF},
        body_during_which_the_tender_is_submitted(), query={"name": "招标文件.pdf", "kind": "tender_documents"},
    )
    assert status == 409, b"".join(m["body"] for m in body)
    assert "this tender is submitted" in json.loads(b"".join(m["body"] for m in body))["detail"]
    await _nothing_changed(platform, tender_id, versions=0)
    assert await _count(platform, TenderDocument, tender_id=tender_id) == 0


async def test_a_large_document_streams_in_and_out(client, users, platform, clock) -> None:
    owner = await bearer(client, await users.make(Role.purchaser))
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    size = 30 * MIB
    sent = hashlib.sha256()
    tracemalloc.start()
    try:
        status, _headers, body = await asgi(
            client, "POST", f"/api/tenders/{tender_id}/documents", {**owner, "content-type": "application/zip"},
            _random_chunks(size, 256 * 1024, sent), query={"name": "工程量清单及图纸.zip", "kind": "attachment"},
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 201, b"".join(m["body"] for m in body)
    assert peak < size // 3, f"the upload held {peak} bytes at once: it must stream, not buffer"
    document = json.loads(b"".join(m["body"] for m in body))
    [version] = document["versions"]
    assert (version["size"], version["sha256"]) == (size, sent.hexdigest())

    status, headers, messages = await asgi(
        client, "GET", version["download_url"], {**owner, "accept-encoding": "gzip"},
    )
    assert status == 200
    assert headers["content-length"] == str(size) and headers["etag"] == f'"{sent.hexdigest()}"'
    assert "content-encoding" not in headers
    received = hashlib.sha256()
    parts = [m["body"] for m in messages if m["body"]]
    for part in parts:
        received.update(part)
    assert received.hexdigest() == sent.hexdigest() and sum(map(len, parts)) == size
    assert len(parts) >= 30 and max(map(len, parts)) <= MIB, "the download goes out in chunks, not as one body"


# --- obtaining and downloading ---------------------------------------------------------------------


async def test_suppliers_obtain_the_documents_while_on_offer_once_per_organisation(client, users, platform, clock) -> None:
    tender_id, owner, purchaser = await _published(client, platform, users, clock)
    supplier = await users.make(Role.supplier)
    colleague = await users.make(Role.supplier, organisation_id=supplier.organisation_id)
    latecomer = await users.make(Role.supplier)

    as_supplier = await bearer(client, supplier)
    early = await client.post(f"/api/tenders/{tender_id}/obtained", headers=as_supplier)
    assert early.status_code == 409 and "on offer from 2026-01-06 09:00" in early.json()["detail"]
    clock.advance(timedelta(days=1))  # the offer opens (Beijing 09:00 the next day)
    as_supplier, owner = await bearer(client, supplier), await bearer(client, purchaser)
    empty = await client.post(f"/api/tenders/{tender_id}/obtained", headers=as_supplier)
    assert empty.status_code == 409 and "no documents" in empty.json()["detail"]
    assert (await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "补充招标文件"})).status_code == 201
    assert (await _upload(client, tender_id, owner, b"%PDF-1.7 tender", amendment=1)).status_code == 201

    obtained = await client.post(f"/api/tenders/{tender_id}/obtained", headers=as_supplier)
    assert obtained.status_code == 201, obtained.text
    assert obtained.json()["organisation_id"] == supplier.organisation_id
    clock.advance(timedelta(hours=1))
    again = await client.post(f"/api/tenders/{tender_id}/obtained", headers=await bearer(client, colleague))
    assert again.status_code == 200 and again.json() == obtained.json(), "one record per organisation, the first"
    assert await _count(platform, DocumentObtained, tender_id=tender_id) == 1
    [audited] = await _audit(platform, "tender.documents_obtained")
    assert audited == {"organisation_id": supplier.organisation_id, "user_id": supplier.user_id}

    clock.advance(timedelta(days=7))  # past documents_until
    closed = await client.post(f"/api/tenders/{tender_id}/obtained", headers=await bearer(client, latecomer))
    assert closed.status_code == 409 and "until 2026-01-13 09:00" in closed.json()["detail"]
    assert (await client.post(f"/api/tenders/{tender_id}/obtained", headers=await bearer(client, supplier))).status_code == 200
    assert await _count(platform, DocumentObtained, tender_id=tender_id) == 1

    # Only suppliers obtain, and only published tenders.
    assert (await client.post(f"/api/tenders/{tender_id}/obtained", headers=await bearer(client, purchaser))).status_code == 403
    draft = (await client.post("/api/tenders", headers=await bearer(client, purchaser), json=draft_body(clock.now()))).json()["id"]
    assert (await client.post(f"/api/tenders/{draft}/obtained", headers=await bearer(client, latecomer))).status_code == 404
    assert len(await _audit(platform, "tender.documents_obtained")) == 1


async def test_documents_are_online_for_everyone_once_published_and_each_download_is_recorded(client, users, platform, clock) -> None:
    tender_id, owner, purchaser = await _published(client, platform, users, clock)
    amendment = await client.post(f"/api/tenders/{tender_id}/amendments", headers=owner, json={"summary": "发布招标文件"})
    assert amendment.status_code == 201
    content = "招标文件正文".encode() * 100
    url = (await _upload(client, tender_id, owner, content, amendment=1)).json()["versions"][0]["download_url"]
    clock.advance(timedelta(days=1))
    supplier = await users.make(Role.supplier)
    as_supplier = await bearer(client, supplier)

    # 招标文件全程挂网: anyone reads them, without logging in and without obtaining them.
    for headers in ({}, as_supplier, await bearer(client, await users.make(Role.expert))):
        got = await client.get(url, headers=headers)
        assert got.status_code == 200 and got.content == content
    for role in (Role.operator, Role.supervisor):
        assert (await client.get(url, headers=await bearer(client, await users.make(role)))).status_code == 200, role
    assert (await client.get(url, headers=await bearer(client, purchaser))).status_code == 200
    assert (await client.get(url.replace("/versions/1", "/versions/2"), headers=as_supplier)).status_code == 404

    assert await _count(platform, DocumentDownload, tender_id=tender_id, organisation_id=supplier.organisation_id) == 1
    assert await _count(platform, DocumentDownload, tender_id=tender_id, organisation_id=None) == 1  # the anonymous reader
    assert await _count(platform, DocumentDownload, tender_id=tender_id) == 6


async def test_before_publication_only_those_running_or_overseeing_read_the_documents(client, users, platform, clock) -> None:
    purchaser = await users.make(Role.purchaser)
    owner = await bearer(client, purchaser)
    tender_id = (await client.post("/api/tenders", headers=owner, json=draft_body(clock.now()))).json()["id"]
    url = (await _upload(client, tender_id, owner, b"%PDF-1.7 draft")).json()["versions"][0]["download_url"]
    assert (await client.get(url, headers=owner)).status_code == 200
    for headers in ({}, await bearer(client, await users.make(Role.supplier)), await bearer(client, await users.make(Role.purchaser))):
        assert (await client.get(url, headers=headers)).status_code == 404  # the draft itself is hidden from them
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=owner)).status_code == 200
    for role in (Role.operator, Role.supervisor):
        assert (await client.get(url, headers=await bearer(client, await users.make(role)))).status_code == 200, role
    assert (await client.get(url, headers=await bearer(client, await users.make(Role.supplier)))).status_code == 404


async def test_who_obtained_is_shown_to_those_running_and_overseeing_the_tender_only(client, users, platform, clock) -> None:
    purchaser, agency, operator = await users.make(Role.purchaser), await users.make(Role.agency), await users.make(Role.operator)
    run_by = await bearer(client, agency)
    body = draft_body(clock.now(), purchaser_organisation_id=purchaser.organisation_id)
    tender_id = (await client.post("/api/tenders", headers=run_by, json=body)).json()["id"]
    assert (await _upload(client, tender_id, run_by, b"%PDF-1.7 agency")).status_code == 201
    assert (await client.post(f"/api/tenders/{tender_id}/submit", headers=run_by)).status_code == 200
    centre = await bearer(client, operator)
    review = {"decision": "accepted", "checklist": _all_checked()}
    assert (await client.post(f"/api/tenders/{tender_id}/review", headers=centre, json=review)).status_code == 200
    assert (await client.post(f"/api/tenders/{tender_id}/publish", headers=run_by, json={})).status_code == 200
    clock.advance(timedelta(days=2))
    supplier = await users.make(Role.supplier)
    as_supplier = await bearer(client, supplier)
    assert (await client.post(f"/api/tenders/{tender_id}/obtained", headers=as_supplier)).status_code == 201
    document = (await client.get(f"/api/tenders/{tender_id}/documents")).json()[0]
    assert (await client.get(document["versions"][0]["download_url"], headers=as_supplier)).status_code == 200

    for who in (agency, purchaser, operator, await users.make(Role.supervisor)):
        listed = await client.get(f"/api/tenders/{tender_id}/obtained", headers=await bearer(client, who))
        assert listed.status_code == 200, (who.roles, listed.text)
        [entry] = listed.json()
        assert entry["organisation_id"] == supplier.organisation_id and entry["user_id"] == supplier.user_id
        assert entry["organisation_name"].startswith("测试单位") and entry["downloads"] == 1
    other_purchaser = await bearer(client, await users.make(Role.purchaser))
    refused = await client.get(f"/api/tenders/{tender_id}/obtained", headers=other_purchaser)
    assert refused.status_code == 403 and "第二十二条" in refused.json()["detail"]
    for outsider in (supplier, await users.make(Role.supplier), await users.make(Role.expert)):
        assert (await client.get(f"/api/tenders/{tender_id}/obtained", headers=await bearer(client, outsider))).status_code == 403
    assert (await client.get(f"/api/tenders/{tender_id}/obtained")).status_code == 401
    # The public list of documents says nothing about who obtained them.
    [public] = (await client.get(f"/api/tenders/{tender_id}/documents")).json()
    assert set(public) == {"id", "name", "kind", "created_at", "versions"}
    assert set(public["versions"][0]) == {"version", "sha256", "size", "content_type", "uploaded_at", "amendment_number", "download_url"}
