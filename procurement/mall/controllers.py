"""Mall catalogue API: the public catalogue, suppliers' products and onboarding, the centre's
agreements, categories, reviews, reference prices, sanctions and monitoring."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post, put
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.credit.schemas import ImportReport
from procurement.errors import N_, InvalidInput
from procurement.identity.models import Organisation, Role
from procurement.mall import (
    agreements,
    catalogue,
    csv_io,
    monitoring,
    onboarding,
    sanctions,
)
from procurement.mall import schemas as s
from procurement.mall.models import Category, SupplierApplication
from procurement.mall.search import (
    SORTS,
    Search,
    category_path,
    decode_cursor,
    encode_cursor,
    search,
)
from procurement.platform import Platform
from procurement.tenders.document_controllers import content_disposition
from procurement.tenders.money import to_fen, to_yuan
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_roles

ProductId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the product's id")]
CategoryId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the category's id")]
ApplicationId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the application's id")]
ReviewId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the price review's id")]
SanctionId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the sanction's id")]
FileId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="the file's id")]
OPERATORS = requires_roles(Role.operator)
SUPPLIERS = requires_roles(Role.supplier)
WATCHERS = requires_roles(Role.operator, Role.supervisor)
MAX_COMPARE = 4


def yuan_or_none(fen: int | None) -> Any:
    return None if fen is None else to_yuan(fen)


def product_out(view: catalogue.ProductView) -> s.ProductOut:
    p = view.product
    return s.ProductOut(
        id=p.id, supplier_organisation_id=p.supplier_organisation_id, supplier_name=view.supplier_name, agreement_id=p.agreement_id,  # type: ignore[arg-type]
        category_id=p.category_id, name=p.name, brand=p.brand, model=p.model, specifications=view.specifications, stock=p.stock,  # type: ignore[arg-type]
        delivery_regions=view.regions, lead_time_days=p.lead_time_days, price=to_yuan(p.price_fen), ceiling=to_yuan(p.ceiling_fen),
        reference_average=yuan_or_none(p.reference_fen), status=view.status, sales_count=p.sales_count,
        files=[s.FileOut(**f.model_dump(include=set(s.FileOut.model_fields))) for f in view.files],
    )


def summary_out(row: Any) -> s.ProductSummary:
    return s.ProductSummary(
        id=row.id, name=row.name, brand=row.brand, model=row.model, category_id=row.category_id, supplier_organisation_id=row.supplier_organisation_id,
        supplier_name=row.supplier_name, price=to_yuan(row.price_fen), reference_average=yuan_or_none(row.reference_fen),
        sales_count=row.sales_count, lead_time_days=row.lead_time_days,
    )


def review_out(row: Any) -> s.ReviewOut:
    review = row[0]
    return s.ReviewOut(
        id=review.id, product_id=review.product_id, product_name=row.product_name, supplier_name=row.supplier_name,
        price=to_yuan(review.price_fen), reference_average=to_yuan(review.reference_fen), status=review.status,
        created_at=review.created_at, decided_at=review.decided_at, reason=review.reason,
    )


def sanction_out(sanction: Any, name: str) -> s.SanctionOut:
    return s.SanctionOut(**sanction.model_dump(include=set(s.SanctionOut.model_fields) - {"organisation_name"}), organisation_name=name)


def anomaly_out(a: monitoring.Anomaly) -> s.AnomalyOut:
    return s.AnomalyOut(
        product_id=a.product_id, product_name=a.product_name, supplier_name=a.supplier_name, rule=a.rule.code,
        price=to_yuan(a.price_fen), compared_with=to_yuan(a.compared_fen), detail=a.rule.message % {"ratio": a.ratio},
    )


async def application_out(session: AsyncSession, application: SupplierApplication, name: str | None = None) -> s.ApplicationOut:
    if name is None:
        name = (await session.get(Organisation, application.organisation_id)).name  # type: ignore[union-attr]
    docs = await onboarding.documents(session, application.id)  # type: ignore[arg-type]
    return s.ApplicationOut(
        **application.model_dump(include=set(s.ApplicationOut.model_fields) - {"organisation_name", "category_ids", "documents"}),
        organisation_name=name, category_ids=await onboarding.category_ids(session, application.id),  # type: ignore[arg-type]
        documents=[s.DocumentOut(**d.model_dump(include=set(s.DocumentOut.model_fields))) for d in docs],
    )


def category_out(node: Category) -> s.CategoryOut:
    return s.CategoryOut(**node.model_dump(include=set(s.CategoryOut.model_fields)))


def content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def parse_ids(ids: str) -> list[int]:
    """``1,2,3`` → [1, 2, 3]: up to four distinct products to compare."""
    try:
        wanted = list(dict.fromkeys(int(part) for part in ids.split(",") if part.strip()))
    except ValueError as exc:
        raise InvalidInput.for_field("query.ids", N_("give product numbers separated by commas")) from exc
    if not wanted:
        raise InvalidInput.for_field("query.ids", N_("give product numbers separated by commas"))
    if len(wanted) > MAX_COMPARE:
        raise InvalidInput.for_field("query.ids", N_("at most %(n)s products can be compared side by side"), n=MAX_COMPARE)
    if not all(1 <= i <= MAX_ID for i in wanted):
        raise InvalidInput.for_field("query.ids", N_("give product numbers separated by commas"))
    return wanted


async def find_products(
    session: AsyncSession, platform: Platform, *, keyword: str, category_id: int | None, brand: str, region: str, supplier_id: int | None,
    price_min: Any, price_max: Any, sort: str, cursor: str | None, limit: int,
) -> tuple[list[Any], str | None]:
    """One page of the catalogue and the cursor to the next (shared by the API and the pages)."""
    if sort not in SORTS:
        raise InvalidInput.for_field("query.sort", N_("must be one of %(choices)s"), choices=", ".join(SORTS))
    query = Search(
        keyword=keyword.strip(), category_path=await category_path(session, category_id) if category_id else None,
        brand=brand.strip() or None, region=region.strip() or None, supplier_id=supplier_id,
        price_min_fen=to_fen(price_min) if price_min is not None else None, price_max_fen=to_fen(price_max) if price_max is not None else None,
        sort=sort, after=decode_cursor(sort, cursor) if cursor else None, limit=limit,
    )
    rows = await search(session, query, platform.clock.now(), sanctions.beijing_today(platform))
    return rows, encode_cursor(sort, rows[-1]) if len(rows) == limit else None


class MallCatalogueController(Controller):
    path = "/api/mall"
    tags = ["Mall"]

    @get("/products", summary="Search the catalogue: products on sale, by keyword and filters, in keyset pages",
         description="`keyword` matches name, brand, model and attributes (Chinese or Latin; several words must all match). "
         "`category_id` includes its sub-categories. `sort`: sales (default), price_asc, price_desc, newest. `next_cursor` pages on.")
    async def find(
        self, session: DbSession, platform: PlatformDep,
        keyword: Annotated[str, QueryParameter(max_length=100)] = "",
        category_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        brand: Annotated[str, QueryParameter(max_length=100)] = "",
        region: Annotated[str, QueryParameter(max_length=64)] = "",
        supplier_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        price_min: s.Price | None = None,
        price_max: s.Price | None = None,
        sort: Annotated[str, QueryParameter(max_length=16, description=", ".join(SORTS))] = "sales",
        cursor: Annotated[str | None, QueryParameter(max_length=80)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> s.ProductPage:
        rows, next_cursor = await find_products(
            session, platform, keyword=keyword, category_id=category_id, brand=brand, region=region, supplier_id=supplier_id,
            price_min=price_min, price_max=price_max, sort=sort, cursor=cursor, limit=limit,
        )
        return s.ProductPage(items=[summary_out(r) for r in rows], next_cursor=next_cursor)

    @get("/products/{product_id:int}", summary="One product: on sale to anyone; in any state to its supplier, the centre and supervisors")
    async def one(self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, product_id: ProductId) -> s.ProductOut:
        return product_out(await catalogue.visible_product(session, platform, optional_actor, product_id))

    @get("/products/{product_id:int}/prices", summary="A product's price history: every price it has had, who set it and why")
    async def prices(self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, product_id: ProductId) -> list[s.PriceChangeOut]:
        await catalogue.visible_product(session, platform, optional_actor, product_id)
        return [
            s.PriceChangeOut(old_price=yuan_or_none(c.old_fen), new_price=to_yuan(c.new_fen), reason=c.reason, outcome=c.outcome,
                             changed_by=c.changed_by, changed_at=c.changed_at)
            for c in await catalogue.price_history(session, product_id)
        ]

    @get("/products/{product_id:int}/references", summary="The e-commerce reference prices of a product (source, URL, date)")
    async def references(self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, product_id: ProductId) -> list[s.ReferenceOut]:
        await catalogue.visible_product(session, platform, optional_actor, product_id)
        return [
            s.ReferenceOut(id=r.id, source=r.source, url=r.url, price=to_yuan(r.price_fen), observed_on=r.observed_on)  # type: ignore[arg-type]
            for r in await catalogue.references(session, product_id)
        ]

    @get("/compare", summary="Compare up to four products on sale side by side", description="`ids`: up to four product numbers, comma-separated; a fifth is refused (422).")
    async def compare(self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, ids: Annotated[str, QueryParameter(max_length=100)]) -> list[s.ProductOut]:
        return [product_out(await catalogue.visible_product(session, platform, optional_actor, i)) for i in parse_ids(ids)]

    @get("/files/{file_id:int}", summary="Download a product's image or document (streamed, with its SHA-256)", opt={"skip_compression": True})
    async def file(self, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, file_id: FileId) -> Stream:
        row = await catalogue.file_for(session, platform, optional_actor, file_id)
        reader = await platform.store.open(row.object_key)

        async def chunks() -> Any:
            async with reader:
                async for chunk in reader:
                    yield chunk

        disposition = "inline" if row.kind == "image" else content_disposition(row.name)
        return Stream(chunks(), media_type=row.content_type, headers={
            "Content-Length": str(row.size), "Content-Disposition": disposition, "ETag": f'"{row.sha256}"',
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
        })

    @post("/products", summary="List a product (suppliers approved for the agreement and category)",
          description="A price above the ceiling is refused (422, `body.price`); one more than the setting `mall_reference_ratio` "
          "times the e-commerce average waits for an operator (`pending_review`).", guards=[SUPPLIERS], status_code=201)
    async def create(self, data: s.ProductIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.ProductOut:
        product = await catalogue.create_product(session, platform, actor, data)
        return product_out(await catalogue.visible_product(session, platform, actor, product.id))  # type: ignore[arg-type]

    @patch("/products/{product_id:int}", summary="Change a product's description, stock or delivery (its supplier)", guards=[SUPPLIERS])
    async def update(
        self, data: s.ProductUpdate, session: DbSession, platform: PlatformDep, actor: CurrentActor, product_id: ProductId
    ) -> s.ProductOut:
        await catalogue.update_product(session, platform, actor, product_id, data)
        return product_out(await catalogue.visible_product(session, platform, actor, product_id))

    @post("/products/{product_id:int}/references", summary="Add an e-commerce reference price (operators)", guards=[OPERATORS], status_code=201)
    async def add_reference(
        self, data: s.ReferenceIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, product_id: ProductId
    ) -> s.ReferenceOut:
        r = await catalogue.add_reference(session, platform, actor, product_id, data)
        return s.ReferenceOut(id=r.id, source=r.source, url=r.url, price=to_yuan(r.price_fen), observed_on=r.observed_on)  # type: ignore[arg-type]

    @get("/categories", summary="The category tree (parents before children)")
    async def categories(self, session: DbSession) -> list[s.CategoryOut]:
        return [category_out(c) for c in await agreements.categories(session)]

    @post("/categories", summary="Add a category (operators)", guards=[OPERATORS], status_code=201)
    async def add_category(self, data: s.CategoryIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.CategoryOut:
        return category_out(await agreements.create_category(session, platform, actor, code=data.code, name=data.name, parent_id=data.parent_id))

    @patch("/categories/{category_id:int}", summary="Rename a category (operators)", guards=[OPERATORS])
    async def rename_category(
        self, data: s.CategoryRename, session: DbSession, platform: PlatformDep, actor: CurrentActor, category_id: CategoryId
    ) -> s.CategoryOut:
        return category_out(await agreements.rename_category(session, platform, actor, category_id, data.name))

    @get("/agreements", summary="The framework agreements (框架协议) with the categories they cover")
    async def agreement_list(self, session: DbSession) -> list[s.AgreementOut]:
        return [
            s.AgreementOut(**a.model_dump(include=set(s.AgreementOut.model_fields) - {"category_ids"}),
                           category_ids=sorted(await agreements.agreement_category_ids(session, a.id)))  # type: ignore[arg-type]
            for a in await agreements.agreements(session)
        ]

    @post("/agreements", summary="Record a framework agreement (operators)", guards=[OPERATORS], status_code=201)
    async def add_agreement(self, data: s.AgreementIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.AgreementOut:
        terms = agreements.AgreementTerms(data.number, data.title, data.region, data.valid_from, data.valid_until, tuple(data.category_ids))
        found = await agreements.create_agreement(session, platform, actor, terms)
        return s.AgreementOut(**found.model_dump(include=set(s.AgreementOut.model_fields) - {"category_ids"}), category_ids=sorted(set(data.category_ids)))


class MallSupplierController(Controller):
    path = "/api/mall"
    tags = ["Mall"]

    @post("/applications", summary="Apply to sell under an agreement in some of its categories (suppliers)", guards=[SUPPLIERS], status_code=201)
    async def apply(self, data: s.ApplicationIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.ApplicationOut:
        found = await onboarding.apply(session, platform, actor, agreement_id=data.agreement_id, category_ids=data.category_ids, statement=data.statement)
        return await application_out(session, found)

    @post("/applications/{application_id:int}/documents", summary="Attach a document to the caller's waiting application (streamed)",
          description="The file as the body with its `Content-Type`; `name` the file's name; at most 20 MiB.",
          guards=[SUPPLIERS], status_code=201, request_max_body_size=None)
    async def attach(
        self, request: Request, platform: PlatformDep, actor: CurrentActor, application_id: ApplicationId,
        name: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    ) -> s.DocumentOut:
        document = await onboarding.attach_document(
            platform, actor, application_id, name, request.stream(), content_type=(request.headers.get("content-type") or "application/octet-stream")[:100],
            content_length=content_length(request),
        )
        return s.DocumentOut(**document.model_dump(include=set(s.DocumentOut.model_fields)))

    @get("/applications", summary="Onboarding applications: the caller's own; all of them for the centre and supervisors",
         guards=[requires_roles(Role.supplier, Role.operator, Role.supervisor)])
    async def applications(
        self, session: DbSession, actor: CurrentActor, status: Annotated[str | None, QueryParameter(max_length=16)] = None
    ) -> list[s.ApplicationOut]:
        return [await application_out(session, a, name) for a, name in await onboarding.applications(session, actor, status=status)]

    @post("/applications/{application_id:int}/decision", summary="Approve or reject an application with the reason (operators)", guards=[OPERATORS], status_code=200)
    async def decide(
        self, data: s.DecisionIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, application_id: ApplicationId
    ) -> s.ApplicationOut:
        found = await onboarding.decide(session, platform, actor, application_id, approve=data.approve, reason=data.reason)
        return await application_out(session, found)

    @get("/my-products", summary="The caller's organisation's products in every state (suppliers)", guards=[SUPPLIERS])
    async def mine(self, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> list[s.ProductOut]:
        return [product_out(v) for v in await catalogue.own_products(session, platform, actor)]

    @put("/products/{product_id:int}/price", summary="Set a product's price (its supplier): checked, kept in the history, audited", guards=[SUPPLIERS])
    async def price(self, data: s.PriceIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, product_id: ProductId) -> s.ProductOut:
        await catalogue.change_price(session, platform, actor, product_id, data.price, data.reason)
        return product_out(await catalogue.visible_product(session, platform, actor, product_id))

    @post("/products/{product_id:int}/listing", summary="Delist a product (its supplier or an operator) or offer it again (its supplier)",
          guards=[requires_roles(Role.supplier, Role.operator)], status_code=200)
    async def listing(
        self, data: s.ListingIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, product_id: ProductId
    ) -> s.ProductOut:
        await catalogue.set_listing(session, platform, actor, product_id, on_sale=data.on_sale, reason=data.reason)
        return product_out(await catalogue.visible_product(session, platform, actor, product_id))

    @post("/products/{product_id:int}/files", summary="Upload an image or document of the caller's product (streamed)",
          description="The file as the body with its `Content-Type` (images: PNG, JPEG, WebP); `kind` image or document; at most 20 MiB.",
          guards=[SUPPLIERS], status_code=201, request_max_body_size=None)
    async def upload(
        self, request: Request, platform: PlatformDep, actor: CurrentActor, product_id: ProductId,
        name: Annotated[str, QueryParameter(min_length=1, max_length=200)], kind: Annotated[str, QueryParameter(max_length=16)] = "image",
    ) -> s.FileOut:
        row = await catalogue.attach_file(
            platform, actor, product_id, kind=kind, name=name, chunks=request.stream(),
            content_type=(request.headers.get("content-type") or "application/octet-stream")[:100], content_length=content_length(request),
        )
        return s.FileOut(**row.model_dump(include=set(s.FileOut.model_fields)))


class MallOversightController(Controller):
    path = "/api/mall"
    tags = ["Mall"]

    @put("/products/{product_id:int}/ceiling", summary="Correct a product's agreed ceiling price (operators)", guards=[OPERATORS])
    async def ceiling(self, data: s.CeilingIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, product_id: ProductId) -> s.ProductOut:
        await catalogue.set_ceiling(session, platform, actor, product_id, data.ceiling, data.reason)
        return product_out(await catalogue.visible_product(session, platform, actor, product_id))

    @post("/reference-imports", summary="Import reference prices from CSV (operators): all rows or none, with a report per row",
          description="UTF-8 CSV as the body with the header " + ",".join(csv_io.COLUMNS) + ". If any row is bad nothing is "
          "imported and the 422 names each bad row and field (`row[N].field`).", guards=[OPERATORS], status_code=201)
    async def import_references(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> ImportReport:
        return await csv_io.import_references(session, platform, actor, await request.body())

    @post("/reviews/{review_id:int}/decision", summary="Approve (on sale) or reject (blocked) a held price, with the reason (operators)",
          guards=[OPERATORS], status_code=200)
    async def review(self, data: s.DecisionIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, review_id: ReviewId) -> s.ProductOut:
        found = await catalogue.decide_review(session, platform, actor, review_id, approve=data.approve, reason=data.reason)
        return product_out(await catalogue.visible_product(session, platform, actor, found.product_id))

    @get("/monitoring", summary="Blocked products, the price review queue, price anomalies and current sanctions", guards=[WATCHERS])
    async def monitoring(self, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.MonitoringOut:
        monitoring.require_watcher(actor)
        return s.MonitoringOut(
            blocked=[summary_out(r) for r in await monitoring.blocked(session)],
            reviews=[review_out(r) for r in await monitoring.reviews(session)],
            anomalies=[anomaly_out(a) for a in await monitoring.anomalies(session, platform)],
            sanctions=[sanction_out(x, name) for x, name in await sanctions.listing(session, current_only=True)],
        )

    @get("/sanctions", summary="Every sanction on mall suppliers, newest first", guards=[WATCHERS])
    async def sanction_list(self, session: DbSession) -> list[s.SanctionOut]:
        return [sanction_out(x, name) for x, name in await sanctions.listing(session)]

    @post("/sanctions", summary="Freeze, delist or suspend a supplier with a reason and an end (operators)", guards=[OPERATORS], status_code=201)
    async def impose(self, data: s.SanctionIn, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> s.SanctionOut:
        found = await sanctions.impose(
            session, platform, actor, organisation_id=data.organisation_id, kind=data.kind, reason=data.reason, starts_at=data.starts_at, ends_at=data.ends_at,
        )
        return sanction_out(found, (await session.get(Organisation, found.organisation_id)).name)  # type: ignore[union-attr]

    @post("/sanctions/{sanction_id:int}/lift", summary="Lift a sanction early, with the reason (operators)", guards=[OPERATORS], status_code=200)
    async def lift(self, data: s.LiftIn, session: DbSession, platform: PlatformDep, actor: CurrentActor, sanction_id: SanctionId) -> s.SanctionOut:
        found = await sanctions.lift(session, platform, actor, sanction_id, data.reason)
        return sanction_out(found, (await session.get(Organisation, found.organisation_id)).name)  # type: ignore[union-attr]
