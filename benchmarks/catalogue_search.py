"""Searching 100,000 mall products with a keyword, a category and a sort vs. the hello-world route.

Set-up: a fresh data directory (SQLite), ``procurement db upgrade``, then a supplier, a
category tree (3 roots × 4 children), one agreement in force and 100,000 products on sale
with their delivery regions written straight into the database (test data). The server is
``procurement serve`` (one worker, scheduler off); the load is a separate process with
keep-alive connections; the routes alternate to share the machine's drift.

Measured: ``GET /api/mall/products?keyword=台式&category_id=1&sort=price_asc&limit=20`` (a
visitor's search: Chinese keyword, a category with its sub-categories, cheapest first; every
row also passes the on-sale test: agreement in force, supplier not sanctioned or blacklisted)
against ``GET /health``. Target: requests/s ratio >= 0.15.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from benchmarks import emit, note
from benchmarks._server import (
    add_load_arguments,
    compare_with_health,
    environment,
    procurement,
)

BENCH = "catalogue_search"
TARGET_RATIO = 0.15
SEARCH_ROUTE = f"/api/mall/products?keyword={quote('台式')}&category_id=1&sort=price_asc&limit=20"
ROOTS = (("办公设备", ("台式计算机", "便携式计算机", "打印机", "复印机")), ("办公家具", ("办公椅", "办公桌", "文件柜", "沙发")),
         ("办公用品", ("复印纸", "硒鼓", "文具", "档案盒")))
BRANDS = ("联想", "华为", "惠普", "戴尔", "佳能", "西昊", "震旦", "得力", "晨光", "齐心")
REGIONS = ("海口市", "三亚市", "儋州市", "琼海市")
PRODUCT_COLUMNS = (
    "id", "supplier_organisation_id", "agreement_id", "category_id", "name", "brand", "model", "specifications", "search_text",
    "stock", "lead_time_days", "price_fen", "ceiling_fen", "reference_fen", "status", "sales_count", "created_by", "created_at", "updated_at",
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores a datetime in SQLite


def _fill(database: Path, count: int) -> None:
    rng = random.Random(20261127)
    now = _stamp(datetime.now(UTC))
    db = sqlite3.connect(database)
    try:
        db.execute("INSERT INTO organisation (uscc, name, kind, region, address, active, created_at) VALUES "
                   "('91460100BENCHMALL1', '基准测试供应商', 'supplier', '460100', '', 1, ?)", (now,))
        org = db.execute("SELECT id FROM organisation WHERE uscc = '91460100BENCHMALL1'").fetchone()[0]
        db.execute("INSERT INTO user_account (organisation_id, username, display_name, email, password_hash, active, failed_logins, "
                   "password_changed_at, created_at) VALUES (?, 'bench-mall', '基准', '', '!', 1, 0, ?, ?)", (org, now, now))
        user = db.execute("SELECT id FROM user_account WHERE username = 'bench-mall'").fetchone()[0]
        leaves: list[tuple[int, str]] = []
        for root, children in ROOTS:
            db.execute("INSERT INTO mall_category (code, parent_id, name, path) VALUES (?, NULL, ?, '')", (f"R{len(leaves)}", root))
            root_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            db.execute("UPDATE mall_category SET path = ? WHERE id = ?", (f"/{root_id}/", root_id))
            for child in children:
                db.execute("INSERT INTO mall_category (code, parent_id, name, path) VALUES (?, ?, ?, '')", (f"C{root_id}-{child}", root_id, child))
                child_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
                db.execute("UPDATE mall_category SET path = ? WHERE id = ?", (f"/{root_id}/{child_id}/", child_id))
                leaves.append((child_id, child))
        today = date.today()
        db.execute("INSERT INTO mall_agreement (number, title, region, valid_from, valid_until, created_by, created_at) VALUES "
                   "('BENCH-001', '基准框架协议', '海口市', ?, ?, ?, ?)", ((today - timedelta(days=30)).isoformat(), (today + timedelta(days=300)).isoformat(), user, now))
        agreement = db.execute("SELECT id FROM mall_agreement WHERE number = 'BENCH-001'").fetchone()[0]
        products, regions = [], []
        for n in range(1, count + 1):
            category_id, noun = rng.choice(leaves)
            brand = rng.choice(BRANDS)
            specs = {"型号系列": f"S{rng.randrange(100)}", "颜色": rng.choice(("黑色", "白色", "银色"))}
            name, model = f"{brand} {noun} {n}", f"{brand[:1]}-{n:06d}"
            price = rng.randrange(5_000, 2_000_000)
            text = " ".join((name, brand, model, *(f"{k} {v}" for k, v in specs.items()))).lower()
            products.append((n, org, agreement, category_id, name, brand, model, json.dumps(specs, ensure_ascii=False), text,
                             rng.randrange(0, 500), rng.randrange(1, 10), price, price * 11 // 10, None, "on_sale", rng.randrange(0, 1000), user, now, now))
            regions += [(n, r) for r in rng.sample(REGIONS, 2)]
        db.executemany(f"INSERT INTO mall_product ({', '.join(PRODUCT_COLUMNS)}) VALUES ({', '.join('?' * len(PRODUCT_COLUMNS))})", products)
        db.executemany("INSERT INTO mall_product_region (product_id, region) VALUES (?, ?)", regions)
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--products", type=int, default=100_000, help="products on sale to search (default 100000)")
    add_load_arguments(parser)


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-mall-") as tmp:
        data_dir = Path(tmp) / "var"
        env = environment(data_dir)
        note(f"setting up {data_dir} (SQLite) with {args.products:,} products…")
        procurement(env, "db", "upgrade")
        _fill(data_dir / "procurement.db", args.products)
        results = compare_with_health(BENCH, env, Path(tmp) / "server.log", SEARCH_ROUTE, args, f" over {args.products:,} products on SQLite", note, emit)
    ratio = results[0]["ratio"]
    note(f"ratio {ratio:.3f} (target {TARGET_RATIO}): {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    return results
