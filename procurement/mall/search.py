"""The public catalogue: products on sale, by keyword and filters, sorted, in keyset pages.

As tender search (``procurement.tenders.search``): one statement per combination of
filters, built once with named parameters and kept; the page's columns only, the supplier's
name as a scalar subquery evaluated for the page's rows. A keyword matches a substring of
``search_text`` (lower-cased name, brand, model and attributes), which is how Chinese text
is found without a word segmenter; several words must all match. On PostgreSQL a pg_trgm
GIN index serves rare keywords (``0026_mall_catalogue``); common ones walk the sort's index
and stop after a page.

Whether a product is on sale is part of the statement (``catalogue.on_sale_clause``) with
the current time and Beijing date as parameters, so a sanction or a lift shows at once.
Keyset cursors carry the sort value and the id of the last row: pages stay stable while
rows are added.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Date, Integer, Row, Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from procurement.errors import N_, InvalidInput
from procurement.identity.models import Organisation
from procurement.mall.catalogue import on_sale_clause
from procurement.mall.models import Category, Product, ProductRegion, Sanction

Sort = Literal["sales", "price_asc", "price_desc", "newest"]
SORTS: tuple[str, ...] = ("sales", "price_asc", "price_desc", "newest")
MAX_WORDS = 5
MAX_ID = 2**31 - 1  # row ids are 32-bit on PostgreSQL


@dataclass(frozen=True)
class Search:
    keyword: str = ""
    category_path: str | None = None  # the chosen category's path: it and everything under it
    brand: str | None = None
    region: str | None = None
    supplier_id: int | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    sort: str = "sales"
    after: tuple[int, int] | None = None  # (sort value, id) of the previous page's last row
    limit: int = 20

    def words(self) -> list[str]:
        return self.keyword.lower().split()[:MAX_WORDS]

    def parameters(self, now: datetime, today: date) -> dict[str, Any]:
        values: dict[str, Any] = {"now": now, "today": today, "limit": self.limit}
        for number, word in enumerate(self.words()):
            values[f"word{number}"] = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if self.category_path:
            values["category_path"] = self.category_path + "%"
        for name in ("brand", "region", "supplier_id"):
            if getattr(self, name) is not None:
                values[name] = getattr(self, name)
        if self.price_min_fen is not None:
            values["price_min"] = self.price_min_fen
        if self.price_max_fen is not None:
            values["price_max"] = self.price_max_fen
        if self.after is not None:
            values["after_value"], values["after_id"] = self.after
        return values


_supplier_name = select(Organisation.name).where(Organisation.id == Product.supplier_organisation_id).scalar_subquery()
LIST_COLUMNS = (
    Product.id, Product.name, Product.brand, Product.model, Product.category_id, Product.supplier_organisation_id,
    _supplier_name.label("supplier_name"), Product.price_fen, Product.reference_fen, Product.sales_count, Product.lead_time_days,
)
SORT_COLUMNS = {"sales": Product.sales_count, "price_asc": Product.price_fen, "price_desc": Product.price_fen, "newest": Product.id}
_statements: dict[tuple[str, frozenset[str]], Select[Any]] = {}


def statement(sort: str, used: frozenset[str]) -> Select[Any]:
    """The page query for this sort and set of parameters (names as in ``Search.parameters``)."""
    query = _statements.get((sort, used))
    if query is not None:
        return query
    now = bindparam("now", type_=Sanction.starts_at.type)
    today = bindparam("today", type_=Date())
    query = select(*LIST_COLUMNS).where(on_sale_clause(now, today))
    for name in sorted(n for n in used if n.startswith("word")):
        query = query.where(Product.search_text.like(bindparam(name, type_=Product.search_text.type), escape="\\"))
    if "category_path" in used:
        below = select(Category.id).where(Category.path.like(bindparam("category_path", type_=Category.path.type)))
        query = query.where(Product.category_id.in_(below))
    if "brand" in used:
        query = query.where(Product.brand == bindparam("brand", type_=Product.brand.type))
    if "supplier_id" in used:
        query = query.where(Product.supplier_organisation_id == bindparam("supplier_id", type_=Integer()))
    if "region" in used:
        delivered = select(ProductRegion.product_id).where(ProductRegion.region == bindparam("region", type_=ProductRegion.region.type))
        query = query.where(Product.id.in_(delivered))
    if "price_min" in used:
        query = query.where(Product.price_fen >= bindparam("price_min", type_=Product.price_fen.type))
    if "price_max" in used:
        query = query.where(Product.price_fen <= bindparam("price_max", type_=Product.price_fen.type))
    column = SORT_COLUMNS[sort]
    ascending = sort == "price_asc"
    if "after_id" in used:
        after_id = bindparam("after_id", type_=Integer())
        if sort == "newest":
            query = query.where(Product.id < after_id)
        else:
            mark = tuple_(bindparam("after_value", type_=column.type), after_id)
            query = query.where(tuple_(column, Product.id) > mark if ascending else tuple_(column, Product.id) < mark)
    if sort == "newest":
        query = query.order_by(Product.id.desc())
    elif ascending:
        query = query.order_by(column.asc(), Product.id.asc())
    else:
        query = query.order_by(column.desc(), Product.id.desc())
    query = query.limit(bindparam("limit", type_=Integer()))
    _statements[(sort, used)] = query
    return query


async def search(session: AsyncSession, s: Search, now: datetime, today: date) -> list[Row[Any]]:
    values = s.parameters(now, today)
    return list((await session.execute(statement(s.sort, frozenset(values)), values)).all())


async def category_path(session: AsyncSession, category_id: int) -> str:
    path = (await session.execute(select(Category.path).where(Category.id == category_id))).scalar_one_or_none()
    if path is None:
        raise InvalidInput.for_field("query.category_id", N_("there is no category %(id)s"), id=category_id)
    return path


def encode_cursor(sort: str, row: Row[Any]) -> str:
    value = row.id if sort == "newest" else getattr(row, SORT_COLUMNS[sort].key)
    return base64.urlsafe_b64encode(f"{sort}:{value}:{row.id}".encode()).decode()


def decode_cursor(sort: str, cursor: str) -> tuple[int, int]:
    """The (value, id) of a cursor this list gave out for this sort."""
    try:
        named, value, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        after = (int(value), int(last_id))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("query.cursor", N_("is not a cursor this list gave out")) from exc
    if named != sort or not (0 <= after[0] < 2**62 and 1 <= after[1] <= MAX_ID):
        raise InvalidInput.for_field("query.cursor", N_("is not a cursor this list gave out"))
    return after


async def brands(session: AsyncSession, now: datetime, today: date) -> list[str]:
    """Brands with something on sale, for the filter."""
    query = select(Product.brand).where(on_sale_clause(now, today)).group_by(Product.brand).order_by(func.count().desc()).limit(50)
    return list((await session.execute(query)).scalars())
