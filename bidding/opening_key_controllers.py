"""Opening-key API: name custodians (the tender's owner), read the public key (anyone), release shares (custodians)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from pydantic import BaseModel, Field

from bidding import opening_key
from bidding.opening_key_models import OpeningKeyShare, TenderOpeningKey
from procurement.identity.models import Role
from procurement.tenders.controllers import TenderIdPath
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_login, requires_roles


class OpeningKeyIn(BaseModel):
    custodians: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=255, description="user ids of the custodians, each with an active X25519 key; "
                                  "from at least two organisations, none of them a supplier")
    threshold: int = Field(ge=1, le=255, description="k: how many custodians' shares rebuild the key (2 ≤ k ≤ number of custodians; "
                           "no one organisation may hold k shares)")

    model_config = {"json_schema_extra": {"examples": [{"custodians": [11, 12, 13], "threshold": 2}]}}


class CustodianOut(BaseModel):
    x: int = Field(description="the share's x coordinate")
    name: str
    organisation: str
    released: bool


class OpeningKeyOut(BaseModel):
    tender_id: int
    public_key: str = Field(description="the raw X25519 public key, base64: seal every bid to it as well as to your own key")
    key_id: str = Field(description="SHA-256 of the raw public key, hex: the envelope recipient entry's key_id")
    threshold: int
    custodian_count: int
    created_at: datetime
    rebuilt_at: datetime | None = Field(description="when the k-th valid share arrived after the deadline")
    custodians: list[CustodianOut]


class ShareOut(BaseModel):
    tender_id: int
    x: int
    custodian_key_id: str = Field(description="the fingerprint of the X25519 key the share is wrapped to")
    wrapped_share: str = Field(description="base64: ephemeral X25519 public key (32) ‖ AES-256-GCM ciphertext and tag (48); "
                               "see docs/envelope.md, Opening-key shares")
    released_at: datetime | None


class ShareIn(BaseModel):
    share: str = Field(max_length=64, description="the 32-byte share, base64, unwrapped on the custodian's own machine")


def _key_out(key: TenderOpeningKey, custodians: list[dict[str, object]]) -> OpeningKeyOut:
    return OpeningKeyOut(
        tender_id=key.tender_id, public_key=key.public_key, key_id=key.fingerprint, threshold=key.threshold, custodian_count=key.custodian_count,
        created_at=key.created_at, rebuilt_at=key.rebuilt_at, custodians=[CustodianOut.model_validate(c) for c in custodians],
    )


def _share_out(share: OpeningKeyShare) -> ShareOut:
    return ShareOut(tender_id=share.tender_id, x=share.x, custodian_key_id=share.custodian_fingerprint, wrapped_share=share.wrapped_share,
                    released_at=share.released_at)


class OpeningKeyController(Controller):
    tags = ("Opening key",)

    @post(
        "/api/tenders/{tender_id:int}/opening-key", summary="Name the custodians of the tender's opening key (k of n)", guards=[requires_roles(Role.purchaser, Role.agency)],
        description="By the organisation running the tender, after entry review accepted it and before it is published (bidders "
        "must seal to the key). The key pair is made in memory, the private key split with Shamir's scheme, each share wrapped to "
        "its custodian's X25519 key, and the private key wiped: only the public key and the wrapped shares are kept.",
        status_code=201,
    )
    async def create(self, data: OpeningKeyIn, session: DbSession, platform: PlatformDep, actor: CurrentActor,
                     tender_id: TenderIdPath) -> OpeningKeyOut:
        await opening_key.create(session, platform, actor, tender_id, data.custodians, data.threshold)
        return _key_out(*await opening_key.public_view(session, actor, tender_id))

    @get("/api/tenders/{tender_id:int}/opening-key", summary="The tender's opening key: the public key bidders seal to, k, n and the custodians")
    async def show(self, session: DbSession, optional_actor: OptionalActor, tender_id: TenderIdPath) -> OpeningKeyOut:
        return _key_out(*await opening_key.public_view(session, optional_actor, tender_id))

    @get("/api/tenders/{tender_id:int}/opening-key/shares/mine", summary="The caller's wrapped share, to unwrap on its own machine (custodians)", guards=[requires_login])
    async def mine(self, session: DbSession, actor: CurrentActor, tender_id: TenderIdPath) -> ShareOut:
        return _share_out(await opening_key.my_share(session, actor, tender_id))

    @post(
        "/api/tenders/{tender_id:int}/opening-key/shares", summary="Release the caller's share, after the bid deadline (custodians)", guards=[requires_login], status_code=200,
        description="The share is checked at once against the commitment kept when the key was made. When k shares are in, the "
        "key is rebuilt in memory and checked against the public key; it opens, at the opening's close, the bids their bidders "
        "did not release. It is never stored.",
    )
    async def release(self, data: ShareIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, tender_id: TenderIdPath) -> ShareOut:
        return _share_out(await opening_key.release_share(session, platform, actor, tender_id, data.share))
