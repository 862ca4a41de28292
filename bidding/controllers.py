"""Bid API: start an upload, send parts, complete it into a bid with a signed receipt; see, withdraw."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import PathParameter
from pydantic import BaseModel, Field

from bidding import opening, opening_room, service
from bidding.models import Bid, BidUpload, BidUploadPart, Opening, OpeningResponse
from procurement.errors import Conflict
from procurement.identity.models import Role
from procurement.tenders.controllers import TenderIdPath
from procurement.web import client
from procurement.web.deps import MAX_ID, CurrentActor, DbSession, PlatformDep
from procurement.web.guards import requires_login, requires_roles

SUPPLIERS = requires_roles(Role.supplier)
LotNumber = Annotated[int, PathParameter(ge=1, le=10_000, description="the lot's number within the tender")]
UploadId = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{32}$", description="the upload's id, as returned when it was started")]
PartNumber = Annotated[int, PathParameter(ge=1, le=service.MAX_PARTS, description="the part's number, from 1, in envelope order")]
BidId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the bid's id")]


class UploadIn(BaseModel):
    bid_version: int = Field(ge=1, le=2**32 - 1, description="the version the envelope is sealed for (see GET …/bids/mine)")
    size: int = Field(ge=1, description="the whole envelope's size in bytes")


class PartOut(BaseModel):
    number: int
    size: int
    sha256: str


class UploadOut(BaseModel):
    id: str
    tender_id: int
    lot_number: int
    bid_version: int
    size: int
    state: str
    received: int = Field(description="bytes received so far, over every part")
    parts: list[PartOut]


class CompleteIn(BaseModel):
    signature: str = Field(max_length=100, description="the bidder's Ed25519 signature of the envelope (docs/envelope.md), base64")


class BidOut(BaseModel):
    id: int
    tender_id: int
    lot_number: int
    version: int
    status: str
    size: int
    envelope_sha256: str
    envelope_digest: str
    submitted_at: datetime
    withdrawn_at: datetime | None
    receipt: dict[str, Any] = Field(description="canonical JSON the platform signed; check with `procurement bid verify-receipt`")
    receipt_signature: str


class MyBids(BaseModel):
    bids: list[BidOut]
    next_versions: dict[int, int] = Field(description="per lot: the version a new envelope must be sealed for")


def upload_out(upload: BidUpload, parts: list[BidUploadPart]) -> UploadOut:
    return UploadOut(
        id=upload.id, tender_id=upload.tender_id, lot_number=upload.lot_number, bid_version=upload.bid_version, size=upload.declared_size,
        state=upload.state, received=sum(p.size for p in parts), parts=[PartOut(number=p.number, size=p.size, sha256=p.sha256) for p in parts],
    )


def bid_out(bid: Bid) -> BidOut:
    return BidOut(
        id=bid.id, tender_id=bid.tender_id, lot_number=bid.lot_number, version=bid.version, status=bid.status, size=bid.size,  # type: ignore[arg-type]
        envelope_sha256=bid.sha256, envelope_digest=bid.envelope_digest, submitted_at=bid.submitted_at, withdrawn_at=bid.withdrawn_at,
        receipt=json.loads(bid.receipt), receipt_signature=bid.receipt_signature,
    )


class BidController(Controller):
    tags = ["Bids"]
    guards = [SUPPLIERS]

    @post(
        "/api/tenders/{tender_id:int}/lots/{lot_number:int}/bid-uploads",
        summary="Start uploading a sealed bid",
        description="Checks, before any byte is sent, that the caller's organisation may bid on the lot (supplier, documents "
        "obtained, keys registered, before the deadline) and that the envelope is sealed for the next version.",
        status_code=201,
    )
    async def start(self, request: Request, data: UploadIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                    tender_id: TenderIdPath, lot_number: LotNumber) -> UploadOut:
        upload = await service.start_upload(session, platform, actor, service.UploadStart(tender_id, lot_number, data.bid_version, data.size),
                                            client_ip=client.address(request, platform.settings.trusted_proxies),
                                            client_fingerprint=client.fingerprint(request))
        return upload_out(upload, [])

    @put(
        "/api/bid-uploads/{upload_id:str}/parts/{number:int}",
        summary="Send one part of the envelope (the raw bytes as the body)",
        description="Parts stream into storage. Sending a part again replaces it, so a broken transfer resumes from the last "
        "part acknowledged. Cookie sessions send the CSRF token in `X-CSRF-Token`.",
        request_max_body_size=None,  # bounded by the upload's announced size instead
    )
    async def part(self, request: Request, platform: PlatformDep, actor: CurrentActor, upload_id: UploadId,
                   number: PartNumber) -> PartOut:
        part = await service.put_part(platform, actor, upload_id, number, request.stream())
        return PartOut(number=part.number, size=part.size, sha256=part.sha256)

    @get("/api/bid-uploads/{upload_id:str}", summary="An upload in progress: the parts received (to resume)")
    async def progress(self, session: DbSession, actor: CurrentActor, upload_id: UploadId) -> UploadOut:
        upload = await service.upload_of(session, actor, upload_id)
        return upload_out(upload, await service.parts_of(session, upload_id))

    @post(
        "/api/bid-uploads/{upload_id:str}/complete",
        summary="Complete the upload: the envelope becomes the bid, with a signed receipt",
        description="The whole envelope is checked (structure, binding, recipients, the signature) without any key that could "
        "open it, the organisation's credit is checked and the check kept; then, before the deadline by the server's clock, "
        "the bid is recorded with its audit entry and a receipt carrying that entry's inclusion proof under a checkpoint "
        "signed at the same moment.",
        status_code=201,
    )
    async def complete(self, data: CompleteIn, platform: PlatformDep, actor: CurrentActor, upload_id: UploadId) -> BidOut:
        return bid_out(await service.complete(platform, actor, upload_id, data.signature))

    @get("/api/tenders/{tender_id:int}/bids/mine", summary="The caller's organisation's bids on a tender, every version, with receipts")
    async def mine(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> MyBids:
        bids = await service.bids_of_organisation(session, actor, tender_id)
        return MyBids(bids=[bid_out(b) for b in bids], next_versions=await service.next_versions(session, actor, tender_id))

    @post("/api/bids/{bid_id:int}/withdraw", summary="Withdraw the current bid before the deadline", status_code=200)
    async def withdraw(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, bid_id: BidId) -> BidOut:
        return bid_out(await service.withdraw(session, platform, actor, bid_id))


class ReleaseIn(BaseModel):
    content_key: str = Field(max_length=64, description="the bid's 32-byte content key, base64, unwrapped on the bidder's own machine")


class OpeningIn(BaseModel):
    release_minutes: int | None = Field(default=None, description="how long bidders have to release their keys; the tender's window if omitted")


class OpeningOut(BaseModel):
    tender_id: int
    started_at: datetime
    release_until: datetime
    closed_at: datetime | None
    lots: dict[str, list[dict[str, Any]]] = Field(description="per lot: each bidder and whether its bid is released and opened")
    present: list[str] = Field(description="the bidders present in the opening room, in the order they came")


class ResponseIn(BaseModel):
    kind: str = Field(description="confirmed | objection")
    text: str = Field(default="", max_length=5000, description="the objection (异议), or a remark")


class AnswerIn(BaseModel):
    answer: str = Field(max_length=5000)


class ResponseOut(BaseModel):
    id: int
    tender_id: int
    organisation_id: int
    kind: str
    text: str
    made_at: datetime
    answer: str
    answered_at: datetime | None


def response_out(r: OpeningResponse) -> ResponseOut:
    return ResponseOut(id=r.id, tender_id=r.tender_id, organisation_id=r.organisation_id, kind=r.kind, text=r.text,  # type: ignore[arg-type]
                       made_at=r.made_at, answer=r.answer, answered_at=r.answered_at)


class OpeningController(Controller):
    tags = ["Opening"]

    @post("/api/tenders/{tender_id:int}/opening", summary="Start the remote opening (operator)", guards=[requires_roles(Role.operator)],
          status_code=201)
    async def start(self, data: OpeningIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> OpeningOut:
        started = await opening.start(session, platform, actor, tender_id, data.release_minutes)
        return await self._out(session, started)

    @post("/api/tenders/{tender_id:int}/opening/close", summary="Close the opening before the window ends (operator)",
          guards=[requires_roles(Role.operator)], status_code=200)
    async def close(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> OpeningOut:
        if not await opening.close(session, platform, tender_id, actor=actor):
            raise Conflict("there is no opening in progress for this tender")
        return await self._out(session, await opening.get(session, tender_id))

    @get("/api/tenders/{tender_id:int}/opening", summary="The opening's progress: who has released", guards=[requires_login])
    async def show(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> OpeningOut:
        return await self._out(session, await opening.get(session, tender_id))

    @post("/api/bids/{bid_id:int}/release", summary="Release a bid's content key at the opening (the bidder)", guards=[SUPPLIERS],
          status_code=200)
    async def release(self, data: ReleaseIn, platform: PlatformDep, actor: CurrentActor, bid_id: BidId) -> BidOut:
        return bid_out(await opening.release(platform, actor, bid_id, data.content_key))

    @post("/api/tenders/{tender_id:int}/opening/presence", summary="Enter the opening room (a bidder)", guards=[SUPPLIERS],
          status_code=200)
    async def join(self, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> OpeningOut:
        await opening_room.join(session, platform, actor, tender_id)
        return await self._out(session, await opening.get(session, tender_id))

    @post("/api/tenders/{tender_id:int}/opening/responses", summary="Confirm the opening record, or object to it (a bidder)",
          guards=[SUPPLIERS], status_code=201)
    async def respond(self, data: ResponseIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                      tender_id: TenderIdPath) -> ResponseOut:
        return response_out(await opening_room.respond(session, platform, actor, tender_id, data.kind, data.text))

    @get("/api/tenders/{tender_id:int}/opening/responses", summary="Confirmations and objections, with their answers",
         guards=[requires_login])
    async def responses(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> list[ResponseOut]:
        return [response_out(r) for r in await opening_room.responses(session, actor, tender_id)]

    @post("/api/opening-responses/{response_id:int}/answer", summary="Answer an objection to the opening",
          guards=[requires_roles(Role.purchaser, Role.agency, Role.operator)], status_code=200)
    async def answer(self, data: AnswerIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     response_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)]) -> ResponseOut:
        return response_out(await opening_room.answer(session, platform, actor, response_id, data.answer))

    @staticmethod
    async def _out(session: DbSession, found: Opening) -> OpeningOut:
        return OpeningOut(
            tender_id=found.tender_id, started_at=found.started_at, release_until=found.release_until, closed_at=found.closed_at,
            lots=await opening.progress(session, found.tender_id), present=await opening_room.present(session, found.tender_id),
        )
