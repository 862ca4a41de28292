"""Open data API: OCDS releases and records, the change feed, the Atom feed of notices. All public."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, get
from litestar.params import QueryParameter
from litestar.response import Stream
from pydantic import BaseModel, Field

from procurement.clock import as_utc
from procurement.errors import InvalidInput, NotFound
from procurement.tenders import feeds, ocds, service
from procurement.tenders.controllers import TenderIdPath
from procurement.tenders.money import to_yuan
from procurement.web.deps import MAX_ID, DbSession, PlatformDep


class TenderSummary(BaseModel):
    id: int = Field(examples=[1])
    code: str = Field(examples=["460100-2026-GC-0001"])
    title: str = Field(examples=["海口市人民医院门诊楼改造工程"])
    status: str = Field(examples=["published"])
    track: str = Field(examples=["works"])
    category: str = Field(examples=["works"])
    method: str = Field(examples=["open"])
    region: str = Field(examples=["460100"])
    budget: Decimal = Field(examples=["1250000.00"])
    published_at: datetime | None
    bid_deadline: datetime


class FeedItem(BaseModel):
    cursor: int = Field(description="pass as `after` to continue after this change", examples=[42])
    release_id: str = Field(examples=["ocds-hkggzy-460100-2026-GC-0001-2"])
    ocid: str = Field(examples=["ocds-hkggzy-460100-2026-GC-0001"])
    date: datetime
    tag: list[str] = Field(examples=[["tenderAmendment"]])
    release_package_url: str
    record_package_url: str
    tender: TenderSummary = Field(description="the tender as it stands now (the release holds it as of the change)")


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: int = Field(description="pass as `after` for the next page; equals `after` when nothing new is ready", examples=[42])
    more: bool = Field(description="a full page: ask again at once", examples=[False])
    watermark: datetime = Field(description="changes stamped after this moment are held back until it passes them")


def _summary(tender: Any) -> TenderSummary:
    return TenderSummary(
        id=tender.id, code=tender.code, title=tender.title, status=tender.status, track=tender.track, category=tender.category,
        method=tender.method, region=tender.region, budget=to_yuan(tender.budget_fen),
        published_at=as_utc(tender.published_at) if tender.published_at else None, bid_deadline=as_utc(tender.bid_deadline),
    )


def _moment(field: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput.for_field(field, "is not an ISO 8601 date and time, e.g. 2026-01-01T00:00:00+08:00") from exc
    if moment.tzinfo is None:
        raise InvalidInput.for_field(field, "must include a time-zone offset, e.g. +08:00 or Z")
    return as_utc(moment)


def _releases_uri(base_url: str, tender_id: int) -> str:
    return f"{base_url}/api/ocds/tenders/{tender_id}/releases"


class OcdsController(Controller):
    path = "/api/ocds"
    tags = ["Open data"]  # noqa: RUF012 - Litestar reads it as declared

    @get(
        "/tenders/{tender_id:int}/releases",
        summary="A published tender's OCDS releases (release package, oldest first)",
        description="One immutable OCDS 1.1 release per public change of the tender. See docs/open-data.md.",
    )
    async def tender_releases(self, session: DbSession, platform: PlatformDep, tender_id: TenderIdPath) -> dict[str, Any]:
        await service.get_tender(session, None, tender_id)
        releases = await ocds.releases_of(session, tender_id)
        if not releases:
            raise NotFound("tender %(id)s has no releases yet", id=tender_id)
        return ocds.release_package(platform, _releases_uri(platform.settings.base_url, tender_id), releases)

    @get(
        "/tenders/{tender_id:int}/record",
        summary="A published tender's OCDS record (record package with the compiled release)",
    )
    async def tender_record(self, session: DbSession, platform: PlatformDep, tender_id: TenderIdPath) -> dict[str, Any]:
        await service.get_tender(session, None, tender_id)
        releases = await ocds.releases_of(session, tender_id)
        if not releases:
            raise NotFound("tender %(id)s has no releases yet", id=tender_id)
        base = platform.settings.base_url
        return ocds.record_package(platform, f"{base}/api/ocds/tenders/{tender_id}/record", _releases_uri(base, tender_id), releases)

    @get(
        "/releases",
        summary="Every OCDS release recorded in a date range, as one release package (streamed)",
        description="`from` inclusive, `until` exclusive, both with a time-zone offset; `until` defaults to now and is held "
        "to the feed's watermark, so a range once answered never gains a release. Releases are ordered by date.",
        media_type="application/json",
    )
    async def releases_between(
        self,
        session: DbSession,
        platform: PlatformDep,
        # Text, read here: the errors then name the parameters as the client wrote them.
        since: Annotated[str, QueryParameter(name="from", max_length=40, description="ISO 8601 with offset, e.g. 2026-01-01T00:00:00+08:00")],
        until: Annotated[str | None, QueryParameter(max_length=40, description="ISO 8601 with offset; now if omitted")] = None,
    ) -> Stream:
        start = _moment("query.from", since)
        limit = feeds.watermark(platform)
        if until is not None and _moment("query.until", until) <= start:
            raise InvalidInput.for_field("query.until", "must be later than from")
        end = min(_moment("query.until", until), limit) if until is not None else limit
        if end <= start:
            raise InvalidInput.for_field("query.from", "must be earlier than %(latest)s: newer releases are not final yet", latest=limit.isoformat())
        max_days = platform.settings.ocds_export_max_days
        if end - start > timedelta(days=max_days):
            raise InvalidInput.for_field("query.until", "a range may cover at most %(days)s days; ask for longer periods in parts", days=max_days)
        window = await feeds.export_range(session, start, end)
        if window.count == 0:
            raise NotFound("no release was recorded from %(since)s until %(until)s", since=start.isoformat(), until=end.isoformat())
        uri = f"{platform.settings.base_url}/api/ocds/releases?" + urlencode({"from": start.isoformat(), "until": end.isoformat()})
        return Stream(feeds.stream_release_package(platform, window, uri), media_type="application/json")


class FeedController(Controller):
    path = "/api/feed"
    tags = ["Open data"]  # noqa: RUF012 - Litestar reads it as declared

    @get(
        "/tenders",
        summary="Changes of published tenders, oldest first, for machine readers",
        description="Keep the last `next_cursor` and pass it as `after`: no change is ever skipped, also one committed late. "
        "Changes younger than the watermark (`PROCUREMENT_FEED_WATERMARK_SECONDS`, 5 s) wait for the next call.",
    )
    async def tenders(
        self,
        session: DbSession,
        platform: PlatformDep,
        after: Annotated[int, QueryParameter(ge=0, le=MAX_ID, description="the cursor of the last change read; 0 for the beginning")] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> FeedPage:
        found, held = await feeds.changes(session, platform, after=after, limit=limit)
        base = platform.settings.base_url
        return FeedPage(
            items=[
                FeedItem(
                    cursor=change.cursor, release_id=change.release_id, ocid=change.ocid, date=change.date, tag=change.tags,
                    release_package_url=_releases_uri(base, change.tender.id),  # type: ignore[arg-type]
                    record_package_url=f"{base}/api/ocds/tenders/{change.tender.id}/record",
                    tender=_summary(change.tender),
                )
                for change in found
            ],
            next_cursor=found[-1].cursor if found else after,
            more=len(found) == limit,
            watermark=held,
        )


class AtomFeedController(Controller):
    path = "/feeds"
    tags = ["Open data"]  # noqa: RUF012 - Litestar reads it as declared

    @get(
        "/notices.atom",
        summary="The newest public notices as an Atom feed (RFC 4287)",
        description=f"The {feeds.ATOM_ENTRIES} newest notices; each entry links to the notice's page and its PDF.",
        media_type="application/atom+xml",
    )
    async def notices(self, session: DbSession, platform: PlatformDep) -> Response[bytes]:
        body = feeds.notices_atom(platform, await feeds.newest_notices(session))
        return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "public, max-age=60"})
