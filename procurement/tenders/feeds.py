"""Feeds for machine readers: the change feed, the release export by date, the Atom feed of notices.

The change log is the release table: every public change of a tender records one release
(``ocds.record_release``), so "what changed since my cursor" is "which releases have a larger
id". Why a reader that keeps its last cursor never misses a change:

1. Ids are in commit order. A release is written after its transaction's audit entry, which
   holds the audit head's row lock (PostgreSQL) or SQLite's only write lock until the
   transaction ends; its id is drawn after that. So while a release with id n is uncommitted
   no other release can get an id above n and commit: whatever a reader sees is a prefix of
   the ids, never a later id with a gap before it that fills in afterwards.
2. The watermark is a second guard, for whatever bypasses (1) (a writer that takes ids
   before the lock, a restore, clocks of several processes that disagree): the feed hands out
   nothing stamped within the last ``feed_watermark_seconds``, and stops at the first such
   release, so the page it gives is a prefix of the id order and holds only changes old
   enough that any transaction that began before them has had time to commit.

The date-range export has no cursor, only dates, so there the watermark is what makes a range
final: it ends no later than now minus the watermark, and a release dated inside it that
commits later would have had to spend longer than that between its stamp and its commit.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.clock import as_utc, to_display
from procurement.platform import Platform
from procurement.tenders import ocds
from procurement.tenders.models import Notice, Tender
from procurement.tenders.release_models import Release
from procurement.tenders.service import PUBLIC_STATES

PUBLIC_STATUSES = tuple(sorted(state.value for state in PUBLIC_STATES))
EXPORT_BATCH = 200
ATOM_ENTRIES = 50


def watermark(platform: Platform) -> datetime:
    """Changes stamped after this moment are not handed out yet."""
    return platform.clock.now() - timedelta(seconds=platform.settings.feed_watermark_seconds)


# --- The change feed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    cursor: int
    release_id: str
    ocid: str
    date: datetime
    tags: list[str]
    tender: Tender


async def changes(session: AsyncSession, platform: Platform, *, after: int, limit: int) -> tuple[list[Change], datetime]:
    """Up to ``limit`` changes after the cursor, oldest first, and the watermark they respect."""
    until = watermark(platform)
    query = (
        select(Release.id, Release.release_id, Release.ocid, Release.date, Release.tags, Tender)
        .join(Tender, Tender.id == Release.tender_id)
        .where(Release.id > after, Tender.status.in_(PUBLIC_STATUSES))
        .order_by(Release.id)
        .limit(limit)
    )
    found: list[Change] = []
    for row_id, release_id, ocid, date, tags, tender in await session.execute(query):
        if as_utc(date) > until:
            break  # nothing past this one either: a page is always a prefix of the id order
        found.append(Change(row_id, release_id, ocid, as_utc(date), json.loads(tags), tender))
    return found, until


# --- The release package of a date range ----------------------------------------------------------


@dataclass(frozen=True)
class ExportRange:
    since: datetime
    until: datetime  # exclusive, and never later than the watermark
    last_id: int  # releases committed after the range was fixed are left out
    count: int
    newest: datetime | None


def _in_range(since: datetime, until: datetime, last_id: int) -> list[Any]:
    return [Release.date >= since, Release.date < until, Release.id <= last_id, Tender.status.in_(PUBLIC_STATUSES)]


async def export_range(session: AsyncSession, since: datetime, until: datetime) -> ExportRange:
    last_id = (await session.execute(select(func.coalesce(func.max(Release.id), 0)))).scalar_one()
    count, newest = (
        await session.execute(
            select(func.count(), func.max(Release.date)).select_from(Release).join(Tender, Tender.id == Release.tender_id).where(*_in_range(since, until, last_id))
        )
    ).one()
    return ExportRange(since, until, last_id, count, as_utc(newest) if newest else None)


async def stream_release_package(platform: Platform, window: ExportRange, uri: str) -> AsyncIterator[bytes]:
    """The package as JSON text, a batch of releases at a time, each batch in its own short read.

    Releases are stored as canonical JSON and copied through without being parsed, so memory
    stays at one batch whatever the range holds.
    """
    head = {
        "uri": uri, "version": ocds.OCDS_VERSION, "publisher": ocds.publisher(platform),
        "publishedDate": (window.newest or window.until).isoformat(),
    }
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ',"releases":[').encode()
    position: tuple[datetime, int] | None = None
    first = True
    while True:
        query = (
            select(Release.id, Release.date, Release.data)
            .join(Tender, Tender.id == Release.tender_id)
            .where(*_in_range(window.since, window.until, window.last_id))
            .order_by(Release.date, Release.id)
            .limit(EXPORT_BATCH)
        )
        if position is not None:
            at, last = position
            query = query.where(or_(Release.date > at, and_(Release.date == at, Release.id > last)))
        async with platform.db.transaction(write=False) as session:
            rows = (await session.execute(query)).all()
        for row_id, date, data in rows:
            yield (data if first else "," + data).encode()
            first = False
            position = (date, row_id)
        if len(rows) < EXPORT_BATCH:
            break
    yield b"]}"


# --- The Atom feed of notices (RFC 4287) -------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOTICE_KIND_NAMES = {
    "tender": "招标（采购）公告",
    "amendment": "更正公告",
    "failed": "流标（废标）公告",
    "candidates": "中标候选人公示",
    "result": "中标（成交）结果公告",
    "termination": "终止公告",
}


async def newest_notices(session: AsyncSession, limit: int = ATOM_ENTRIES) -> list[tuple[Notice, str]]:
    """The newest notices of public tenders, with their tender's project code."""
    query = (
        select(Notice, Tender.code)
        .join(Tender, Tender.id == Notice.tender_id)
        .where(Tender.status.in_(PUBLIC_STATUSES))
        .order_by(Notice.published_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    return [(notice, code) for notice, code in await session.execute(query)]


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    element.text = text
    return element


def _link(parent: ET.Element, href: str, rel: str, media_type: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"href": href, "rel": rel, "type": media_type})


def notices_atom(platform: Platform, notices: list[tuple[Notice, str]]) -> bytes:
    """An Atom feed document. ElementTree escapes every text and attribute value."""
    base = platform.settings.base_url
    publisher = platform.settings.ocds_publisher
    feed_uri = f"{base}/feeds/notices.atom"
    # A notice never changes once published, so the newest publication is the feed's last update.
    updated = max((as_utc(n.published_at) for n, _ in notices), default=None) or platform.clock.now()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: "zh-CN"})
    _text(feed, "id", feed_uri)
    _text(feed, "title", f"{publisher} · 交易公告")
    _text(feed, "subtitle", "招标（采购）、更正、结果等公告，最新在前")
    _text(feed, "updated", updated.isoformat())
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", publisher)
    _text(author, "uri", base)
    _link(feed, feed_uri, "self", "application/atom+xml")
    _link(feed, f"{base}/", "alternate", "text/html")
    for notice, code in notices:
        page = f"{base}/notices/{notice.id}"
        published = as_utc(notice.published_at).isoformat()
        kind = NOTICE_KIND_NAMES.get(notice.kind, notice.kind)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", page)
        _text(entry, "title", notice.title)
        _text(entry, "published", published)
        _text(entry, "updated", published)
        _link(entry, page, "alternate", "text/html")
        _link(entry, f"{page}/pdf", "alternate", "application/pdf")
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": notice.kind, "label": kind})
        _text(entry, "summary", f"{kind} · 项目编号 {code} · 发布时间 {to_display(notice.published_at):%Y-%m-%d %H:%M}（北京时间）")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
