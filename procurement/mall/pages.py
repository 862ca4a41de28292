"""Mall catalogue pages: the public catalogue (search, product, compare); suppliers' products and
onboarding; the centre's monitoring (price reviews, anomalies, sanctions) and onboarding review."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from procurement.credit.workflow import end_of
from procurement.errors import N_, DomainError
from procurement.i18n import gettext
from procurement.identity.models import Role
from procurement.mall import (
    agreements,
    catalogue,
    csv_io,
    monitoring,
    onboarding,
    pricing,
    sanctions,
)
from procurement.mall.controllers import (
    ApplicationId,
    ProductId,
    ReviewId,
    SanctionId,
    find_products,
    parse_ids,
)
from procurement.mall.models import ApplicationStatus, ProductStatus, SanctionKind
from procurement.mall.schemas import PriceIn, ProductIn
from procurement.mall.search import SORTS, brands
from procurement.tenders.money import to_yuan
from procurement.web.deps import (
    MAX_ID,
    CurrentActor,
    DbSession,
    OptionalActor,
    PlatformDep,
)
from procurement.web.guards import requires_roles
from procurement.web.pages import form_errors, page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
FORM_AGAIN = {400: ResponseSpec(data_container=str, media_type=MediaType.HTML, description="The page again, saying what to correct")}
PAGE_SIZE = 24
COMPARE_IDS = Annotated[list[str] | None, QueryParameter(max_items=10, description="product numbers (ids=1&ids=2 or ids=1,2)")]
STATUS_LABELS = {
    ProductStatus.on_sale: N_("On sale"), ProductStatus.blocked_price: N_("Blocked for its price"),
    ProductStatus.pending_review: N_("Price under review"), ProductStatus.delisted: N_("Delisted"),
    ProductStatus.supplier_suspended: N_("Supplier suspended"),
}
SORT_LABELS = {"sales": N_("Best selling"), "price_asc": N_("Price: low to high"), "price_desc": N_("Price: high to low"), "newest": N_("Newest")}
APPLICATION_LABELS = {
    ApplicationStatus.applied: N_("Waiting for review"), ApplicationStatus.approved: N_("Approved"), ApplicationStatus.rejected: N_("Rejected"),
}
SOURCE_LABELS = {"jd": N_("JD.com"), "tmall": N_("Tmall"), "suning": N_("Suning"), "other": N_("Other")}


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{to_yuan(fen):,.2f}"


def _decimal(value: str, name: str, errors: list[tuple[str, str]]) -> Decimal | None:
    if not value.strip():
        return None
    try:
        amount = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        errors.append((name, gettext("is not an amount such as 4299.00")))
        return None
    if not amount.is_finite() or amount <= 0 or amount >= 10**8:
        errors.append((name, gettext("is not an amount such as 4299.00")))
        return None
    return amount.quantize(Decimal("0.01"))


def price_chart(history: list[Any], width: int = 560, height: int = 160) -> dict[str, Any]:
    """The price history as SVG points: x by change number (steps), y scaled between min and max."""
    prices = [c.new_fen for c in history]
    if not prices:
        return {"points": "", "dots": [], "width": width, "height": height}
    low, high = min(prices), max(prices)
    span = (high - low) or 1
    pad_x, pad_y = 50, 24  # room for the labels above the points and at both ends
    step = (width - 2 * pad_x) / max(len(prices) - 1, 1)
    dots = [
        {"x": round(pad_x + i * step, 1), "y": round(height - pad_y - (p - low) * (height - 2 * pad_y) / span, 1), "label": yuan(p),
         "when": c.changed_at}
        for i, (p, c) in enumerate(zip(prices, history, strict=True))
    ]
    return {"points": " ".join(f"{d['x']},{d['y']}" for d in dots), "dots": dots, "width": width, "height": height,
            "low": yuan(low), "high": yuan(high)}


def _common(**context: Any) -> dict[str, Any]:
    return {"yuan": yuan, "status_labels": STATUS_LABELS, "source_labels": SOURCE_LABELS, "application_labels": APPLICATION_LABELS, **context}


async def _file_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1024 * 1024):
        yield chunk


class MallPublicPages(Controller):
    tags = ["Pages"]

    @get("/mall", summary="The mall catalogue (电子卖场): search, filters, sort, pick products to compare")
    async def catalogue_page(
        self, request: Request, session: DbSession, platform: PlatformDep,
        keyword: Annotated[str, QueryParameter(max_length=100)] = "",
        category_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        brand: Annotated[str, QueryParameter(max_length=100)] = "",
        region: Annotated[str, QueryParameter(max_length=64)] = "",
        price_min: Annotated[str, QueryParameter(max_length=20)] = "",
        price_max: Annotated[str, QueryParameter(max_length=20)] = "",
        sort: Annotated[str, QueryParameter(max_length=16)] = "sales",
        cursor: Annotated[str, QueryParameter(max_length=80)] = "",
    ) -> Template:
        errors: list[tuple[str, str]] = []
        values = {"keyword": keyword, "category_id": category_id or "", "brand": brand, "region": region, "price_min": price_min,
                  "price_max": price_max, "sort": sort if sort in SORTS else "sales"}
        low, high = _decimal(price_min, "price_min", errors), _decimal(price_max, "price_max", errors)
        rows: list[Any] = []
        next_cursor = None
        if not errors:
            try:
                rows, next_cursor = await find_products(
                    session, platform, keyword=keyword, category_id=category_id, brand=brand, region=region, supplier_id=None,
                    price_min=low, price_max=high, sort=values["sort"], cursor=cursor or None, limit=PAGE_SIZE,
                )
            except DomainError as exc:
                errors = form_errors(exc)
        query = "&".join(f"{k}={v}" for k, v in values.items() if v)
        return page(
            request, "mall/catalogue.html", **_common(
                rows=rows, values=values, errors=errors, categories=await agreements.categories(session), sort_labels=SORT_LABELS,
                brands=await _brands(session, platform), next_query=f"{query}&cursor={next_cursor}" if next_cursor else "",
            ),
        )

    @get("/mall/products/{product_id:int}", summary="A product: specifications, price, price history, e-commerce references")
    async def product_page(
        self, request: Request, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor, product_id: ProductId,
        done: Annotated[str, QueryParameter(max_length=20)] = "",
    ) -> Template:
        view = await catalogue.visible_product(session, platform, optional_actor, product_id)
        history = await catalogue.price_history(session, product_id)
        return page(
            request, "mall/product.html", **_common(
                view=view, history=history, chart=price_chart(history), references=await catalogue.references(session, product_id),
                ratio=platform.settings.mall_reference_ratio, done=done, errors=[],
            ),
        )

    @get("/mall/compare", summary="Compare up to four products side by side")
    async def compare_page(
        self, request: Request, session: DbSession, platform: PlatformDep, optional_actor: OptionalActor,
        ids: COMPARE_IDS = None,
    ) -> Template:
        errors: list[tuple[str, str]] = []
        views: list[catalogue.ProductView] = []
        try:
            views = [await catalogue.visible_product(session, platform, optional_actor, i) for i in parse_ids(",".join(ids or []))]
        except DomainError as exc:
            errors = form_errors(exc)
        names = sorted({name for v in views for name in v.specifications})
        return page(request, "mall/compare.html", status_code=422 if errors else 200, **_common(views=views, attribute_names=names, errors=errors))


async def _brands(session: Any, platform: Any) -> list[str]:
    return await brands(session, platform.clock.now(), sanctions.beijing_today(platform))


# --- Suppliers ---------------------------------------------------------------------------------


PRODUCT_FIELDS = ("agreement_id", "category_id", "name", "brand", "model", "stock", "delivery_regions", "lead_time_days", "price", "ceiling", "specifications")


def _specifications(text: str) -> dict[str, str]:
    """"CPU: i5; 内存: 16GB" (one per line or ;-separated) → {"CPU": "i5", "内存": "16GB"}."""
    found: dict[str, str] = {}
    for part in text.replace(";", "\n").replace("；", "\n").splitlines():
        name, sep, value = part.replace("：", ":").partition(":")
        if sep and name.strip():
            found[name.strip()] = value.strip()
    return found


class MallSupplierPages(Controller):
    tags = ["Pages"]
    guards = [requires_roles(Role.supplier)]

    @get("/mall/my", summary="My products and prices, and my onboarding applications (suppliers)")
    async def mine(self, request: Request, session: DbSession, platform: PlatformDep, actor: CurrentActor, done: Annotated[str, QueryParameter(max_length=20)] = "") -> Template:
        return await _supplier_page(request, session, platform, actor, done=done)

    @post("/mall/my/products", summary="List a product, from the page", status_code=303, responses=FORM_AGAIN)
    async def create(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {n: str(data.get(n, "")).strip() for n in PRODUCT_FIELDS}
        try:
            product_in = ProductIn(
                **{k: v for k, v in values.items() if k not in ("delivery_regions", "specifications") and v},  # type: ignore[arg-type]
                delivery_regions=[r.strip() for r in values["delivery_regions"].replace("，", ",").split(",") if r.strip()],
                specifications=_specifications(values["specifications"]),
            )
            product = await catalogue.create_product(session, platform, actor, product_in)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _supplier_page(request, session, platform, actor, values=values, errors=form_errors(exc), status_code=400)
        return Redirect(f"/mall/my?done=listed#product-{product.id}", status_code=303)

    @post("/mall/my/products/{product_id:int}/price", summary="Set a product's price, from the page", status_code=303, responses=FORM_AGAIN)
    async def price(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, product_id: ProductId) -> Any:
        try:
            price_in = PriceIn(price=str(data.get("price", "")).strip(), reason=str(data.get("reason", "")).strip())  # type: ignore[arg-type]
            product = await catalogue.change_price(session, platform, actor, product_id, price_in.price, price_in.reason)
        except (DomainError, ValidationError) as exc:
            await session.rollback()
            return await _supplier_page(request, session, platform, actor, errors=form_errors(exc), failed=product_id, status_code=400)
        return Redirect(f"/mall/my?done={product.status}#product-{product_id}", status_code=303)

    @post("/mall/my/products/{product_id:int}/image", summary="Upload a product image, from the page", status_code=303, responses=FORM_AGAIN)
    async def image(self, request: Request, data: Multipart, platform: PlatformDep, actor: CurrentActor, product_id: ProductId) -> Any:
        upload = data.get("image")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError(N_("choose an image file"))
            await catalogue.attach_file(
                platform, actor, product_id, kind="image", name=upload.filename[:200], chunks=_file_chunks(upload),
                content_type=(upload.content_type or "")[:100], content_length=None,
            )
        except DomainError as exc:
            async with platform.db.transaction(write=False) as session:
                return await _supplier_page(request, session, platform, actor, errors=form_errors(exc), failed=product_id, status_code=400)
        return Redirect(f"/mall/my?done=image#product-{product_id}", status_code=303)

    @post("/mall/my/applications", summary="Apply to an agreement with a document, from the page", status_code=303, responses=FORM_AGAIN)
    async def apply(self, request: Request, data: Multipart, platform: PlatformDep, actor: CurrentActor) -> Any:
        upload = data.get("document")
        raw_categories = data.get("category_ids", [])
        category_ids = [int(c) for c in (raw_categories if isinstance(raw_categories, list) else [raw_categories]) if str(c).isdigit()]
        agreement_id = str(data.get("agreement_id", ""))
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError(N_("attach at least one document (business licence, qualifications)"))
            if not agreement_id.isdigit():
                raise DomainError(N_("choose an agreement"))
            async with platform.db.transaction() as session:
                found = await onboarding.apply(
                    session, platform, actor, agreement_id=int(agreement_id), category_ids=category_ids, statement=str(data.get("statement", ""))[:2000],
                )
            await onboarding.attach_document(
                platform, actor, found.id, upload.filename[:200], _file_chunks(upload),  # type: ignore[arg-type]
                content_type=(upload.content_type or "application/octet-stream")[:100], content_length=None,
            )
        except DomainError as exc:
            async with platform.db.transaction(write=False) as session:
                return await _supplier_page(request, session, platform, actor, errors=form_errors(exc), status_code=400)
        return Redirect("/mall/my?done=applied#applications", status_code=303)


async def _supplier_page(request: Request, session: Any, platform: Any, actor: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("values", {})
    context.setdefault("errors", [])
    return page(
        request, "mall/my.html", status_code=status_code, **_common(
            products=await catalogue.own_products(session, platform, actor), applications=await onboarding.applications(session, actor),
            agreements=await agreements.agreements(session), categories=await agreements.categories(session), **context,
        ),
    )


# --- The trading centre ------------------------------------------------------------------------


OPERATORS = requires_roles(Role.operator)


class MallOperatorPages(Controller):
    tags = ["Pages"]
    guards = [requires_roles(Role.operator, Role.supervisor)]

    @get("/mall/monitoring", summary="Price review queue, blocked products, anomalies and sanctions (the centre; supervisors read)")
    async def monitoring_page(self, request: Request, session: DbSession, platform: PlatformDep, done: Annotated[str, QueryParameter(max_length=20)] = "") -> Template:
        return await _monitoring_page(request, session, platform, done=done)

    @get("/mall/onboarding", summary="Supplier onboarding applications to review (the centre; supervisors read)")
    async def onboarding_page(self, request: Request, session: DbSession, actor: CurrentActor, done: Annotated[str, QueryParameter(max_length=20)] = "") -> Template:
        return await _onboarding_page(request, session, actor, done=done)

    @post("/mall/reviews/{review_id:int}/decision", summary="Approve or reject a held price, from the page", guards=[OPERATORS], status_code=303, responses=FORM_AGAIN)
    async def review(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, review_id: ReviewId) -> Any:
        try:
            await catalogue.decide_review(session, platform, actor, review_id, approve=data.get("decision") == "approve", reason=_reason(data))
        except DomainError as exc:
            await session.rollback()
            return await _monitoring_page(request, session, platform, errors=form_errors(exc), status_code=exc.status if exc.status != 422 else 400)
        return Redirect("/mall/monitoring?done=reviewed#reviews", status_code=303)

    @post("/mall/applications/{application_id:int}/decision", summary="Approve or reject an application, from the page", guards=[OPERATORS], status_code=303, responses=FORM_AGAIN)
    async def decide(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, application_id: ApplicationId) -> Any:
        try:
            await onboarding.decide(session, platform, actor, application_id, approve=data.get("decision") == "approve", reason=_reason(data))
        except DomainError as exc:
            await session.rollback()
            return await _onboarding_page(request, session, actor, errors=form_errors(exc), status_code=exc.status if exc.status != 422 else 400)
        return Redirect("/mall/onboarding?done=decided", status_code=303)

    @post("/mall/sanctions", summary="Impose a sanction on a supplier, from the page", guards=[OPERATORS], status_code=303, responses=FORM_AGAIN)
    async def impose(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Any:
        values = {n: str(data.get(n, "")).strip() for n in ("organisation_id", "kind", "reason", "ends_on")}
        try:
            if values["kind"] not in SanctionKind.__members__ or not values["organisation_id"].isdigit():
                raise DomainError(N_("choose the supplier and the kind of sanction"))
            ends_at = end_of(date.fromisoformat(values["ends_on"])) if values["ends_on"] else None  # through that Beijing day
            await sanctions.impose(
                session, platform, actor, organisation_id=int(values["organisation_id"]), kind=SanctionKind(values["kind"]), reason=_reason(data),
                starts_at=None, ends_at=ends_at,
            )
        except (DomainError, ValueError) as exc:
            await session.rollback()
            errors = form_errors(exc) if isinstance(exc, DomainError) else [("ends_on", gettext("is not a date such as 2026-01-31"))]
            return await _monitoring_page(request, session, platform, errors=errors, values=values, status_code=400)
        return Redirect("/mall/monitoring?done=sanctioned#sanctions", status_code=303)

    @post("/mall/sanctions/{sanction_id:int}/lift", summary="Lift a sanction early, from the page", guards=[OPERATORS], status_code=303, responses=FORM_AGAIN)
    async def lift(self, request: Request, data: Form, session: DbSession, platform: PlatformDep, actor: CurrentActor, sanction_id: SanctionId) -> Any:
        try:
            await sanctions.lift(session, platform, actor, sanction_id, _reason(data))
        except DomainError as exc:
            await session.rollback()
            return await _monitoring_page(request, session, platform, errors=form_errors(exc), status_code=exc.status if exc.status != 422 else 400)
        return Redirect("/mall/monitoring?done=lifted#sanctions", status_code=303)

    @post("/mall/reference-imports", summary="Import reference prices from a CSV file, from the page", guards=[OPERATORS], status_code=200, responses=FORM_AGAIN)
    async def import_csv(self, request: Request, data: Multipart, session: DbSession, platform: PlatformDep, actor: CurrentActor) -> Template:
        upload = data.get("file")
        raw = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            report = await csv_io.import_references(session, platform, actor, raw)
        except csv_io.ImportRefused as exc:
            await session.rollback()
            file_errors = [(e.field, e.shown(gettext)) for e in exc.errors if not e.field.startswith("row[")]
            return await _monitoring_page(request, session, platform, report=exc.report, errors=file_errors, status_code=400)
        return await _monitoring_page(request, session, platform, report=report)


def _reason(data: dict[str, Any]) -> str:
    reason = str(data.get("reason", "")).strip()
    if len(reason) < 2:
        raise DomainError(N_("give the reason"))
    return reason[:1000]


async def _monitoring_page(request: Request, session: Any, platform: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("errors", [])
    context.setdefault("values", {})
    return page(
        request, "mall/monitoring.html", status_code=status_code, **_common(
            reviews=await monitoring.reviews(session), blocked=await monitoring.blocked(session),
            anomalies=await monitoring.anomalies(session, platform), sanctions=await sanctions.listing(session),
            suppliers=await monitoring.suppliers(session), kind_labels=sanctions.KIND_LABELS, rules=pricing.RULES,
            settings=platform.settings, columns=csv_io.COLUMNS, **context,
        ),
    )


async def _onboarding_page(request: Request, session: Any, actor: Any, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("errors", [])
    found = await onboarding.applications(session, actor)
    details = {a.id: (await onboarding.documents(session, a.id), await onboarding.category_ids(session, a.id)) for a, _ in found}  # type: ignore[misc]
    return page(
        request, "mall/onboarding.html", status_code=status_code, **_common(
            applications=found, details=details, categories={c.id: c for c in await agreements.categories(session)},
            agreements={a.id: a for a in await agreements.agreements(session)}, **context,
        ),
    )
